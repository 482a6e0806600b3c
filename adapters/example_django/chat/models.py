"""Rooms and who is in them (as django-socketio's chat example)."""
from django.db import models
from django.urls import reverse
from django.utils.text import slugify


class ChatRoom(models.Model):
    name = models.CharField(max_length=50)
    slug = models.SlugField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("room", args=[self.slug])

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name) or "room"
        super().save(*args, **kwargs)


class ChatUser(models.Model):
    name = models.CharField(max_length=30)
    session = models.CharField(max_length=40)   # the socket's sid
    room = models.ForeignKey(ChatRoom, related_name="users",
                             on_delete=models.CASCADE)

    class Meta:
        ordering = ("name",)

    def __str__(self):
        return self.name
