# The trained model as an image of its own, copied by the Rasa pods' init container
# (deploy/k8s/base/rasa.yaml) into the pod before Rasa starts. A content change is a new
# model, hence a new tag of this image, rolled out like any image; the line's image
# (deploy/Dockerfile) does not change. From the project root, after `make train`:
#   docker build -f deploy/k8s/model.Dockerfile -t REGISTRY/linea-model:TAG .
FROM busybox:1.36
COPY models/line.tar.gz /model/line.tar.gz
