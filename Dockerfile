# The API image: the package with its spaCy model, every dependency pinned by hash.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/runtime.txt requirements/build.txt ./requirements/
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/build.txt \
 && pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime.txt \
 && pip check
COPY pyproject.toml README.md ./
COPY api ./api
COPY indexer ./indexer
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && rm -rf /app/api /app/indexer
RUN useradd --system --create-home storyrecords
USER storyrecords
ENV STORYRECORDS_HOST=0.0.0.0 STORYRECORDS_PORT=8080 STORYRECORDS_DATA_DIR=/home/storyrecords/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz')" || exit 1
CMD ["storyrecords", "serve"]
