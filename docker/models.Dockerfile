# The face model files as an image, for docker/Dockerfile's MODELS_IMAGE where the build has no
# internet (and no buildx for `--build-context models=DIR`). The build context is the models folder
# (`make models`' layout, e.g. ../shared/models); docker/Dockerfile verifies every file by SHA-384.
#   DOCKER_BUILDKIT=1 docker build -f docker/models.Dockerfile -t shiming/models:local DIR
FROM scratch
COPY . /
