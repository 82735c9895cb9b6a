from stats.api.views import router

urlpatterns = router.urls
