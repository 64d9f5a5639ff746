from django.urls import URLPattern, path

from realtime.consumers import JobConsumer, ModelConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/job/<int:pk>/", JobConsumer.as_asgi()),
    path("ws/model/<int:pk>/", ModelConsumer.as_asgi()),
]
