"""Every entry of the beat schedule names a task the workers know: a typo there would leave a
sweep or a nightly job silently never running."""

from config.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "lending.lost_work_resend" in scheduled
    assert scheduled - set(app.tasks) == set()
