"""Liveness endpoint for load balancers."""

from flask_smorest import Blueprint

blp = Blueprint("health", __name__, url_prefix="/api", description="Service health")


@blp.route("/health")
def health():
    """Liveness probe."""
    return {"status": "ok"}
