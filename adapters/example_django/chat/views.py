"""The chat's pages: rooms, a room, and the staff's system message."""
from django.contrib.auth.decorators import user_passes_test
from django.shortcuts import get_object_or_404, redirect, render

from django_socketio import NoSocket, broadcast, broadcast_channel

from chat.models import ChatRoom


def rooms(request):
    return render(request, "chat/rooms.html",
                  {"rooms": ChatRoom.objects.all()})


def room(request, slug):
    return render(request, "chat/room.html",
                  {"room": get_object_or_404(ChatRoom, slug=slug)})


def create(request):
    name = request.POST.get("name", "").strip()
    if name:
        room, _ = ChatRoom.objects.get_or_create(name=name)
        return redirect(room)
    return redirect("rooms")


@user_passes_test(lambda user: user.is_staff)
def system_message(request):
    """Out of band: a message to one room, or to everyone."""
    context = {"rooms": ChatRoom.objects.all()}
    if request.method == "POST":
        room = request.POST.get("room")
        data = {"action": "system", "message": request.POST["message"]}
        try:
            if room:
                broadcast_channel(data, channel="room-" + room)
            else:
                broadcast(data)
        except NoSocket as e:
            context["message"] = e
        else:
            context["message"] = "Message sent"
    return render(request, "chat/system_message.html", context)
