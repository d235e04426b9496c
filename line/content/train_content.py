"""Retrain after a content change (FAQ examples, answer wording) by finetuning the model.

`rasa train` retrains every NLU component from scratch whenever any example or answer
changes (about 3 min on a quiet machine). When the change keeps every label (intents,
responses, slots, actions) and config.yml, Rasa can instead continue training the current
model for a fraction of the epochs (`--finetune`, docs/bench.md "Training time").
When only FAQ examples changed, the line's router alone is refitted first
(components/router_refit.py, about a minute). Otherwise, or after MAX_CHAIN finetunes in a
row, this trains from scratch and says why:
Rasa's own FinetuningValidator decides, before any component trains.

Rasa's training cache is switched off for finetuning: its keys ignore which model is
being finetuned, so a cached featurizer from another run could be paired with this
model's weights (and a finetuned featurizer could be reused by a later full training).
"""

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

MAX_CHAIN = 5
# Router-only refits in a row before a finetune lets DIET and the ResponseSelector learn
# the examples too (components/router_refit.py).
MAX_ROUTER_ONLY = 3
# How each kind of training starts its output: the training job reads its kind, and its
# progress, from these (line/training/job.py).
ROUTER_ONLY_SAYS, FINETUNE_SAYS, FULL_SAYS = (
    "Refitting only the line's router",
    "Finetuning ",
    "Full training from scratch",
)
INPUTS = ["config.yml", "domain.yml"]
FAQ_FOLDER = Path("data") / "faq"


def inputs_newer_than(model: Path) -> list:
    files = [Path(p) for p in INPUTS] + sorted(Path("data").rglob("*.yml"))
    return [str(f) for f in files if f.stat().st_mtime > model.stat().st_mtime]


def _domain_labels(domain) -> dict:
    """What the dialogue model learns from the domain: everything but the answers' text."""
    return {
        "intents": set(domain.intents),
        "responses": set(domain.responses),
        "actions": set(domain.user_actions),
        "slots": {s.name for s in domain.slots},
        "forms": set(domain.form_names),
        "entities": set(domain.entities),
    }


def why_refused(model: Path, error: Exception) -> str:
    """Rasa's refusal in plain words, naming what changed in the domain if anything."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    message = str(error)
    if "configuration" in message:
        return "config.yml changed (only `epochs` may change for a finetune)"
    old = _domain_labels(LocalModelStorage.metadata_from_archive(model).domain)
    new = _domain_labels(_importer().get_domain())
    details = [
        f"{kind} added: {', '.join(sorted(new[kind] - old[kind]))}"
        for kind in new
        if new[kind] - old[kind]
    ]
    details += [
        f"{kind} removed: {', '.join(sorted(old[kind] - new[kind]))}"
        for kind in new
        if old[kind] - new[kind]
    ]
    if details:
        return "the labels changed, not only the content (" + "; ".join(details) + ")"
    return f"Rasa refused to finetune: {message}"


def _importer():
    from rasa.shared.importers.importer import TrainingDataImporter

    return TrainingDataImporter.load_from_config("config.yml", "domain.yml", ["data"])


def check(model: Path) -> str:
    """Runs only Rasa's FinetuningValidator on the current files: '' when it accepts them."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.recipes.recipe import Recipe
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.graph_components.validators.finetuning_validator import FinetuningValidator
    from rasa.shared.data import TrainingType
    from rasa.shared.exceptions import InvalidConfigException

    importer = _importer()
    config = importer.get_config()
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    config, _, _ = recipe.auto_configure(
        importer.get_config_file_for_auto_config(), config, TrainingType.BOTH
    )
    schema = recipe.graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH, is_finetuning=True
    ).train_schema
    with tempfile.TemporaryDirectory() as tmp:
        storage, _ = LocalModelStorage.from_model_archive(Path(tmp), model)
        validator = FinetuningValidator.load(
            schema.nodes["finetuning_validator"].config,
            storage,
            Resource("finetuning_validator"),
            ExecutionContext(graph_schema=schema, is_finetuning=True),
        )
        try:
            validator.validate(importer)
        except InvalidConfigException as e:
            return why_refused(model, e)
    return ""


def _setup_like_rasa_cli() -> None:
    """Same logging and TensorFlow set-up as the `rasa` command (timestamps, no debug)."""
    import rasa.utils.common
    import rasa.utils.io
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment

    rasa.utils.common.configure_logging_and_warnings(
        logging.INFO, None, warn_only_once=True, filter_repeated_logs=True
    )
    environment.setup_tf_environment()
    rasa.utils.io.configure_colored_logging(logging.INFO)
    configure_structlog(logging.INFO)


def only_faq_files(changed: list) -> bool:
    return bool(changed) and all(Path(f).parent == FAQ_FOLDER for f in changed)


def _refit_router_only(model: Path, partial: Path, changed: list) -> bool:
    """When only FAQ topic files changed, refits the router alone into `partial`; False
    when the change is more than examples (Rasa's finetune then runs)."""
    if not only_faq_files(changed):
        return False
    from components.router_refit import FinetuneNeeded, refit_router

    print(
        f"{ROUTER_ONLY_SAYS} in {model}: only FAQ examples changed "
        "(DIET and the ResponseSelector learn them at the next finetune).",
        flush=True,
    )
    try:
        refit_router(model, partial, _importer())
    except FinetuneNeeded as e:
        print(f"The router alone is not enough ({e}): finetuning instead.", flush=True)
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/line.tar.gz")
    # A tenth: 88 s on a quiet machine and as accurate on tests/nlu as a quarter
    # (docs/bench.md "Training time").
    parser.add_argument("--epoch-fraction", type=float, default=0.1)
    parser.add_argument("--full", action="store_true", help="train from scratch")
    parser.add_argument(
        "--check", action="store_true", help="only say whether the change can be finetuned"
    )
    args = parser.parse_args()
    started = time.monotonic()

    model = Path(args.model)
    state_file = model.with_name(model.name.replace(".tar.gz", "") + ".finetune.json")
    state = json.loads(state_file.read_text()) if state_file.exists() else {"chain": 0}
    if not model.exists() or state.get("mtime") != model.stat().st_mtime:
        state = {"chain": 0}  # the model came from somewhere else, e.g. `make train`
    changed = inputs_newer_than(model) if model.exists() else []
    if model.exists() and not args.full and not changed:
        print(f"{model} is up to date: nothing to train.")
        return 0

    reason = ""
    if args.full:
        reason = "FULL=1 was asked"
    elif not model.exists():
        reason = f"there is no {model} to start from"
    elif "config.yml" in changed:
        reason = "config.yml changed (a new configuration deserves a new model)"
    elif state["chain"] >= MAX_CHAIN:
        reason = f"the model was finetuned {state['chain']} times in a row already"

    _setup_like_rasa_cli()
    if args.check:
        reason = reason or check(model)
        print(f"Full training needed: {reason}." if reason else "Can be finetuned.")
        if not reason and only_faq_files(changed):
            print("If only examples changed (not answers), the router alone is refitted.")
        return 0
    from rasa.model_training import train
    from rasa.shared.exceptions import InvalidConfigException

    partial = model.with_name(".new-" + model.name)
    kwargs = dict(output=str(model.parent), fixed_model_name=partial.name)
    result = None
    refitted = False
    if not reason and state.get("router_only", 0) < MAX_ROUTER_ONLY:
        refitted = _refit_router_only(model, partial, changed)
    if refitted:
        state = {"chain": state["chain"], "router_only": state.get("router_only", 0) + 1}
    if not reason and not refitted:
        print(
            f"{FINETUNE_SAYS}{model} with {args.epoch_fraction:g} of the epochs "
            "(the change must keep every intent, answer name and config.yml).",
            flush=True,
        )
        os.environ["RASA_MAX_CACHE_SIZE"] = "0"
        try:
            result = train(
                "domain.yml",
                "config.yml",
                ["data"],
                **kwargs,
                model_to_finetune=str(model),
                finetuning_epoch_fraction=args.epoch_fraction,
            )
            state = {"chain": state["chain"] + 1}
        except InvalidConfigException as e:
            reason = why_refused(model, e)
        finally:
            del os.environ["RASA_MAX_CACHE_SIZE"]
    if reason:
        print(f"{FULL_SAYS} (several minutes), because {reason}.", flush=True)
        result = train("domain.yml", "config.yml", ["data"], **kwargs)
        state = {"chain": 0}
    if (not refitted and result.code != 0) or not partial.exists():
        print("Training failed; the previous model is unchanged.")
        return 1
    os.replace(partial, model)
    state["mtime"] = model.stat().st_mtime
    state_file.write_text(json.dumps(state) + "\n")
    kind = (
        "refitted (the router alone)"
        if refitted
        else "finetuned"
        if state["chain"]
        else "trained from scratch"
    )
    print(f"{model} {kind} in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
