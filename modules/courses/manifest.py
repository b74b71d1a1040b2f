"""What the module offers; the registry reads ``manifest`` (see core/registry)."""

from pydantic import BaseModel, ConfigDict, Field

from core.registry import ModuleManifest, NavEntry, ProductTypeSpec
from core.registry.notification_types import NotificationTypeSpec

COURSE = "course"
COURSE_PASS = "coursepass"  # product types are at most 10 characters (souk.E005)


class CourseSettings(BaseModel):
    """The operator's limits on courses, validated when an operator changes them; read them
    with ``manifest.settings_for(tenant)``."""

    model_config = ConfigDict(extra="forbid")

    # The largest video a seller may upload, and the longest.
    max_video_mb: int = Field(default=4000, ge=1, le=50_000)
    max_video_minutes: int = Field(default=180, ge=1, le=1440)
    # The largest downloadable resource of a lesson.
    max_resource_mb: int = Field(default=200, ge=1, le=5000)
    # A signed playlist lives this long (the player renews it).
    playback_link_seconds: int = Field(default=6 * 3600, ge=300, le=86_400)


manifest = ModuleManifest(
    key="courses",
    name="Courses",
    description="Video courses that stream adaptively, track real progress, test with "
    "quizzes and issue verifiable certificates.",
    product_types=(
        ProductTypeSpec(
            key=COURSE,
            label="Online courses",
            is_escrow_by_default=False,
            delivers="enrolment",
        ),
        ProductTypeSpec(
            key=COURSE_PASS,
            label="Course memberships",
            is_escrow_by_default=False,
            delivers="enrolment",
            is_recurring_only=True,
        ),
    ),
    settings_model=CourseSettings,
    router="modules.courses.api.router",
    seller_router="modules.courses.api_seller.router",
    permissions=("manage_products",),
    fulfil="modules.courses.hooks.fulfil",
    revoke="modules.courses.hooks.revoke",
    storefront_urls="modules.courses.urls",
    root_urls="modules.courses.root_urls",
    seller_urls="modules.courses.seller_urls",
    studio_product_step="modules.courses.studio_step.step",
    product_panel="modules.courses.storefront.panel",
    demo="modules.courses.demo.populate",
    notification_types=(
        NotificationTypeSpec("courses.announcement", "Announcements from your courses"),
        NotificationTypeSpec("courses.reply", "A reply to your question on a lesson"),
        NotificationTypeSpec("courses.question", "A student asked about one of your lessons"),
        NotificationTypeSpec("courses.certificate", "Your certificate is ready"),
        NotificationTypeSpec("courses.video_processed", "Your video is ready (or failed)"),
    ),
    pages=(
        NavEntry(label="My courses", url="courses:mine", area="account"),
        NavEntry(label="Certificates", url="courses:certificates", area="account"),
        NavEntry(label="Courses", url="courses_studio:home", area="studio"),
        NavEntry(label="Students", url="courses_studio:students_home", area="studio"),
    ),
)
