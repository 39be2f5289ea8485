from celery import shared_task


@shared_task(ignore_result=True)
def remind_article_reviews() -> int:
    """Beat's entry, daily. Running it again reminds nobody twice of the same due review."""
    from knowledge.services import articles_review_remind

    return articles_review_remind()
