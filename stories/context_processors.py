from .models import ContentVersion


def navigation(request):
    """The feeds in the site navigation, kept in the content state every request reads."""
    state = getattr(request, "content_state", None) or ContentVersion.current()
    return {"nav_feeds": state.navigation}
