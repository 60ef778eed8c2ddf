from django.contrib import admin

from testproject.api.models import Note, Project, Task

admin.site.register([Note, Project, Task])
