# Failwatch without OctoPrint: the seed-compatible daemon, configured by the seed's environment variables.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY octoprint_failwatch ./octoprint_failwatch
RUN pip install --no-cache-dir . && useradd --system failwatch && mkdir /data && chown failwatch /data
USER failwatch
# incidents with their frames and the day's spend: mount a volume here to keep them across restarts
ENV DATA_FOLDER=/data
VOLUME /data
# credentials are mounted read-only at /creds/credentials, as in the seed
ENTRYPOINT ["failwatch"]
