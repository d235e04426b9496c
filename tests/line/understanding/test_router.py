"""The line's own reader: intents, FAQ topics and danger by kind from one TF-IDF space."""

import numpy as np
import pytest

from line.understanding.router import NEAREST_EXAMPLES, REFIT_ITERATIONS, IntentRouter, label_of

EXAMPLES = [
    ("emergency", None, "medical", "mi bebe no respira y esta morado"),
    ("emergency", None, "medical", "mi papa se desmayo y no despierta"),
    ("emergency", None, "fire", "se esta quemando la casa hay humo"),
    ("emergency", None, "fire", "sale fuego de la cocina ayuda"),
    ("faq", "shelter", None, "los albergues cobran algo"),
    ("faq", "shelter", None, "cuantos dias me puedo quedar en el albergue"),
    ("faq", "covid_vaccine", None, "la vacuna del covid es gratis para extranjeros"),
    ("faq", "covid_vaccine", None, "donde me pongo la tercera dosis de la vacuna"),
    ("greet", None, None, "hola buenas tardes"),
    ("greet", None, None, "buenos dias amigos"),
    ("out_of_scope", None, None, "como saco licencia de conducir"),
    ("out_of_scope", None, None, "cuanto esta el dolar hoy"),
]


@pytest.fixture(scope="module")
def router():
    texts = [text for *_, text in EXAMPLES]
    labels = [label_of(intent, topic, kind) for intent, topic, kind, _ in EXAMPLES]
    return IntentRouter().fit(texts, labels)


def test_labels_split_danger_by_kind_and_faq_by_topic():
    assert label_of("emergency", kind="fire") == "emergency:fire"
    assert label_of("emergency") == "emergency:general"
    assert label_of("faq", "shelter") == "faq/shelter"
    assert label_of("greet") == "greet"


def test_danger_is_the_sum_over_kinds_and_names_the_likeliest(router):
    reading = router.read("el bebe esta morado y no respira")
    assert reading.intents["emergency"] == pytest.approx(reading.danger)
    assert reading.danger > 0.5 and reading.danger_kind == "medical"
    assert sum(reading.intents.values()) == pytest.approx(1.0)


def test_faq_topics_are_given_within_faq(router):
    reading = router.read("el albergue cobra?")
    assert max(reading.faq_topics, key=reading.faq_topics.get) == "shelter"
    assert sum(reading.faq_topics.values()) == pytest.approx(1.0)


def test_closeness_is_high_near_a_topics_examples_and_low_far_from_them(router):
    near = router.read("los albergues cobran algo?", ["shelter"]).closeness["shelter"]
    far = router.read("cuanto cuesta una licencia de conducir", ["shelter"]).closeness["shelter"]
    assert near > 0.5 > far


def test_a_neighbouring_question_is_nearer_the_questions_no_topic_answers(router):
    neighbour = router.read("cuanto cuesta la licencia de conducir", ["shelter"])
    question = router.read("los albergues cobran algo?", ["shelter"])
    assert neighbour.no_topic_closeness > neighbour.closeness["shelter"]
    assert question.no_topic_closeness < question.closeness["shelter"]


def test_saved_and_loaded_it_reads_the_same(router, tmp_path):
    router.save(tmp_path)
    loaded = IntentRouter.load(tmp_path)
    for text in ("mi bebe no respira", "los albergues cobran", "hola", "zzz"):
        a, b = router.read(text, ["shelter"]), loaded.read(text, ["shelter"])
        assert a.intents.keys() == b.intents.keys()
        assert np.allclose([a.intents[k] for k in a.intents], [b.intents[k] for k in a.intents])
        assert a.closeness == pytest.approx(b.closeness)
        assert a.no_topic_closeness == pytest.approx(b.no_topic_closeness)
        assert a.unfamiliar == pytest.approx(b.unfamiliar)
    assert not list(tmp_path.glob("*.pkl"))  # arrays and JSON only


def test_closeness_also_covers_the_routers_own_likeliest_topics(router):
    reading = router.read("el albergue cobra?", own_top=1)
    [likeliest] = sorted(reading.faq_topics, key=reading.faq_topics.get)[-1:]
    assert list(reading.closeness) == [likeliest]
    both = router.read("el albergue cobra?", ["covid_vaccine"], own_top=1)
    assert list(both.closeness) == ["covid_vaccine", likeliest]


def _fitted(examples, start=None):
    texts = [text for *_, text in examples]
    labels = [label_of(intent, topic, kind) for intent, topic, kind, _ in examples]
    return IntentRouter().fit(texts, labels, start)


def test_a_finetune_starts_from_the_old_weights_and_ends_where_a_fit_from_zero_does(router):
    more = EXAMPLES + [("faq", "shelter", None, "necesito un techo esta noche para mis hijos")]
    cold, warm = _fitted(more), _fitted(more, start=router)
    assert warm.model.n_iter_[0] < cold.model.n_iter_[0]
    for text in ("un techo para esta noche", "mi bebe no respira", "hola"):
        a, b = cold.read(text), warm.read(text)
        assert a.intents == pytest.approx(b.intents, abs=1e-3)
        assert a.faq_topics == pytest.approx(b.faq_topics, abs=1e-3)
    # "techo" is a word the old router never saw: the new vocabulary has it.
    assert "techo" in warm.features.transformer_list[0][1].vocabulary_


def test_with_other_labels_the_finetune_fits_from_zero(router):
    fewer = [e for e in EXAMPLES if e[0] != "greet"]
    cold, warm = _fitted(fewer), _fitted(fewer, start=router)
    assert warm.model.n_iter_[0] == cold.model.n_iter_[0]
    assert np.allclose(warm.model.coef_, cold.model.coef_)


def test_a_refit_keeps_the_vocabulary_and_moves_from_the_old_weights(router):
    more = EXAMPLES + [("faq", "shelter", None, "necesito un techo esta noche para mis hijos")]
    texts = [text for *_, text in more]
    labels = [label_of(intent, topic, kind) for intent, topic, kind, _ in more]
    saved = _fitted(EXAMPLES)
    before = saved.read("esta noche para mis hijos").faq_topics["shelter"]
    vocabulary = dict(saved.features.transformer_list[0][1].vocabulary_)
    refitted = saved.refit(texts, labels)
    assert refitted.model.n_iter_[0] < _fitted(more).model.n_iter_[0]
    assert refitted.model.n_iter_[0] <= REFIT_ITERATIONS
    assert refitted.model.max_iter == IntentRouter().model.max_iter  # a later fit is whole
    assert refitted.read("esta noche para mis hijos").faq_topics["shelter"] > before
    # Only a fit learns new words: the refit reads in the old vocabulary.
    assert refitted.features.transformer_list[0][1].vocabulary_ == vocabulary
    assert "techo" not in vocabulary
    # The new example is a closeness reference of its topic.
    assert refitted.topic_examples["shelter"].shape[0] == 3


def test_a_refit_refuses_other_labels(router):
    fewer = [e for e in EXAMPLES if e[0] != "greet"]
    texts = [text for *_, text in fewer]
    labels = [label_of(intent, topic, kind) for intent, topic, kind, _ in fewer]
    with pytest.raises(ValueError):
        router.refit(texts, labels)


def test_changed_examples_counts_the_faq_examples_added_removed_or_edited(router):
    texts = [text for *_, text in EXAMPLES]
    labels = [label_of(intent, topic, kind) for intent, topic, kind, _ in EXAMPLES]
    assert router.changed_examples(texts, labels) == 0
    assert (
        router.changed_examples([*texts, "hay albergue en tumbes"], [*labels, "faq/shelter"]) == 1
    )
    edited = [
        "los albergues cobran algo o no" if t == "los albergues cobran algo" else t for t in texts
    ]
    assert router.changed_examples(edited, labels) == 2  # one removed, one added
    moved = [  # the same words under another topic: removed from one, added to the other
        "faq/covid_vaccine" if t == "los albergues cobran algo" else label
        for t, label in zip(texts, labels, strict=True)
    ]
    assert router.changed_examples(texts, moved) == 2
    # Other intents are not the refit's concern: a greeting more counts nothing.
    assert router.changed_examples([*texts, "hola que tal"], [*labels, "greet"]) == 0


def test_closeness_is_the_mean_cosine_to_the_nearest_examples(router):
    """Computed the slow, plain way: every example's TF-IDF row against the message's."""
    text = "el albergue cobra por quedarme unos dias?"
    message = router.features.transform([text]).toarray().ravel()
    shelter = router.features.transform(
        [t for _, topic, _, t in EXAMPLES if topic == "shelter"]
    ).toarray()
    cosines = shelter @ message / (np.linalg.norm(shelter, axis=1) * np.linalg.norm(message))
    nearest = np.sort(cosines)[::-1][:NEAREST_EXAMPLES]
    assert router.read(text, ["shelter"]).closeness["shelter"] == pytest.approx(nearest.mean())
    assert router.read("", ["shelter"]).closeness["shelter"] == 0.0  # nothing to compare


def test_unfamiliar_is_the_idf_share_of_known_words_the_topics_examples_never_use(router):
    """Computed the plain way: each known single word once, by its idf."""
    words = router.features.transformer_list[0][1]
    idf = dict(zip(words.get_feature_names_out(), words.idf_, strict=True))
    shelter_words = {w for _, topic, _, t in EXAMPLES if topic == "shelter" for w in t.split()}
    text = "cuanto cobra el albergue por el dolar hoy qwrtp"
    known = {w for w in text.split() if w in idf}  # "qwrtp", a typo, counts for no topic
    strange = sum(idf[w] for w in known - shelter_words) / sum(idf[w] for w in known)
    reading = router.read(text, ["shelter", "covid_vaccine"])
    assert reading.unfamiliar["shelter"] == pytest.approx(strange)
    assert 0 < reading.unfamiliar["shelter"] < reading.unfamiliar["covid_vaccine"]
    assert router.read("los albergues cobran algo", ["shelter"]).unfamiliar["shelter"] == 0.0
    assert router.read("qwrtp", ["shelter"]).unfamiliar["shelter"] == 0.0  # nothing known


def test_unfamiliar_reads_the_question_not_the_story_before_it(router):
    story = "cuanto esta el dolar hoy. "
    asked = router.read(story + "los albergues cobran algo?", ["shelter"])
    assert asked.unfamiliar["shelter"] == 0.0
    told = router.read(story + "los albergues cobran algo", ["shelter"])  # no question mark
    assert told.unfamiliar["shelter"] == 0.0  # the last sentence
    unknown = router.read("cuanto esta el dolar hoy. qwrtp?", ["shelter"])
    assert unknown.unfamiliar["shelter"] > 0.5  # no known word asked: the whole message


@pytest.mark.parametrize(
    "text",
    [
        "el albergue cobra por quedarme unos dias?",
        "EL ALBERGUE COBRA, el albergue cobra!!",  # repeated terms: 1 + log(count)
        "mi bebé no respira 🙏 y está morado",
        "xyzzy qwrtp",  # no known word, a few known characters
        "",
    ],
)
def test_one_message_is_read_as_scikit_learns_transform_reads_it(router, text):
    ours = router._one_row(text)
    sklearns = router.features.transform([text])
    assert ours.shape == sklearns.shape
    np.testing.assert_allclose(ours.toarray(), sklearns.toarray(), rtol=0, atol=1e-12)
