"""Who may do what: everyone reads, curators write what their model permissions allow."""

from rest_framework import permissions


class ModelPermissionsOrReadOnly(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """DRF's DjangoModelPermissionsOrAnonReadOnly, which lets anyone read, without building the view's queryset to
    find the model of a read: a read needs no model permission (DRF maps GET, HEAD and OPTIONS to none)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
