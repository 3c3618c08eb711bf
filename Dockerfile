# One image for every Tipline process; the command picks the role:
#   tipline portal | tipline worker portal | tipline triage-web | tipline worker intake
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TIPLINE_ENV=production \
    TIPLINE_DATA_DIR=/var/lib/tipline

RUN groupadd --system tipline && useradd --system --gid tipline --home /app tipline \
    && mkdir -p /var/lib/tipline && chown tipline:tipline /var/lib/tipline

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p tipline portal triage config && touch tipline/__init__.py portal/__init__.py \
        triage/__init__.py config/__init__.py \
    && pip install . && pip uninstall -y tipline
COPY . .
RUN pip install --no-deps -e . && python -m compileall -q tipline portal triage config

USER tipline
EXPOSE 5000 5001
ENTRYPOINT ["tipline"]
CMD ["portal"]
