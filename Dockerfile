# SalesGoals production image: one image for every role (web, worker, beat, migrate).
# Built by docker-compose.yml; the default command serves the site with gunicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext: compilemessages turns locale/*.po into the .mo files Django reads.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (pyproject.toml installs no package of its own), so code changes
# reuse this layer.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files (hashed + compressed by whitenoise) and translations are baked into the image.
# The build-time secret only satisfies settings; it is never used at run time.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret \
        python manage.py collectstatic --noinput -v0 \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret \
        python manage.py compilemessages -v0

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin salesgoals
# Uploads (MEDIA_ROOT) are the only files the app writes: a volume is mounted here, and a new
# named volume takes this directory's owner.
RUN mkdir -p /app/media && chown salesgoals:salesgoals /app/media
USER salesgoals

EXPOSE 8000
# WEB_CONCURRENCY (read by gunicorn) sets the number of workers (default 1; see .env.example).
CMD ["gunicorn", "salesgoals.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
