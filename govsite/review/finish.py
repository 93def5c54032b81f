"""The action Wagtail runs when a workflow finishes (WAGTAIL_FINISH_WORKFLOW_ACTION).

Wagtail imports this while its own models load, so the real work is imported on call.
"""


def publish_approved(workflow_state, user=None) -> None:
    from govsite.review import services

    services.publish_approved(workflow_state, user)
