from django.urls import URLPattern, path

from realtime.consumers import JobConsumer, JobLogConsumer, JobStatusConsumer, ModelConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/job/<int:pk>/", JobConsumer.as_asgi()),
    path("ws/job/<int:pk>/status/", JobStatusConsumer.as_asgi()),
    path("ws/job/<int:pk>/logs/", JobLogConsumer.as_asgi()),
    path("ws/model/<int:pk>/", ModelConsumer.as_asgi()),
]
