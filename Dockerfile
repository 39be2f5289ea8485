# GovDesk: one image for the web server, the Celery worker and Celery beat.
#   docker build -t govdesk .
# docker-compose.yml runs it; the command below serves the web application.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=helpdesk.settings \
    MEDIA_ROOT=/data/media

# The processes run as this unprivileged account; the code stays owned by root, read-only to it.
RUN groupadd --system --gid 10001 govdesk \
    && useradd --system --uid 10001 --gid govdesk --home-dir /home/govdesk --create-home \
       --shell /usr/sbin/nologin govdesk

WORKDIR /app

# Dependencies first, so that a change to the code does not reinstall them.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .

# Settings refuse to load without these; the values exist for this one command only and are
# not kept in the image. collectstatic connects to neither the database nor Redis.
RUN DEBUG=0 \
    ALLOWED_HOSTS=build \
    SECRET_KEY=build-time-only-not-a-secret-build-time-only-not-a-secret-0000 \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    python manage.py collectstatic --noinput

# Uploaded files (attachments); docker-compose.yml mounts a named volume here.
RUN mkdir -p /data/media && chown govdesk:govdesk /data/media

USER govdesk

EXPOSE 8000

CMD ["gunicorn", "helpdesk.wsgi", "--workers", "2", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
