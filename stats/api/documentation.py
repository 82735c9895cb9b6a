"""The words of the API reference: what each resource's operations are for, and what its address's parameter means.

The examples (stats/api/examples.json, `manage.py api_examples`) and the code samples (stats/api/samples.py) are
attached by the schema's postprocessing hook (stats/api/schema.py).
"""

from dataclasses import dataclass

from drf_spectacular.utils import extend_schema, extend_schema_view

CURATORS = "Curators only: send `Authorization: Token <key>`."
IF_MATCH = (
    "Send `If-Match` with the `ETag` of your last read: if someone changed it since, the answer is a 412 and "
    "nothing is overwritten."
)


@dataclass(frozen=True)
class Resource:
    """A resource of the API as a reader knows it: its names, what it is, and how its address names one."""

    singular: str
    plural: str
    about: str
    lookup: str  # the path parameter: `slug` or `id`
    example: str  # a lookup value from the shipped data
    filter: str = ""  # the figure filter that takes its slug

    def lookup_description(self) -> str:
        """Return the words for the `{slug}` or `{id}` in this resource's addresses."""
        if self.lookup == "id":
            return f"The {self.singular}'s number, as in its `id` (e.g. `{self.example}`); the list gives each one's."
        used = f"; the figure filter `{self.filter}` takes the same" if self.filter else ""
        return (
            f"The {self.singular}'s slug, its short name in addresses (e.g. `{self.example}`); "
            f"`/api/v1/{self.plural}/` lists them all{used}."
        )


RESOURCES = {
    resource.plural: resource for resource in (
        Resource("conflict", "conflicts", "the wars whose casualties are counted", "slug", "russia-ukraine",
                 "conflict"),
        Resource("party", "parties", "whose casualties are counted: an army, an armed group, civilians of a place",
                 "slug", "russia-armed-forces", "party"),
        Resource("source", "sources", "who makes claims or publishes reports, and whether they speak for a party",
                 "slug", "ukraine-general-staff", "claimed_by"),
        Resource("category", "categories", "what is counted: killed, injured, all casualties, missing, captured",
                 "slug", "killed", "category"),
        Resource("report", "reports", "the dated publications claims appear in, with their addresses", "id", "1",
                 "report"),
        Resource("dataset", "datasets", "the compilations figures were taken from, with their licences, the credit "
                 "each asks for, and the feeds the service reads them from", "slug", "petroivaniuk-war-dataset",
                 "dataset"),
        Resource("figure", "figures", "the claims themselves", "id", "1032"),
    )
}


def resource_schema(plural: str):
    """Return the `extend_schema_view` that names and explains the list, read and write operations of a resource."""
    resource = RESOURCES[plural]
    one, many = resource.singular, resource.plural
    used = f" Its `slug` is what the figure filter `{resource.filter}` takes." if resource.filter else ""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {many}",
            description=f"Every {one} the service knows: {resource.about}. A page at a time: `page_size` sets its "
            f"length, `next` is the address of the following page.{used}",
        ),
        retrieve=extend_schema(summary=f"One {one}", description=f"The {one} named in the address.{used}"),
        create=extend_schema(
            summary=f"Add a {one}",
            description=f"Record a new {one}. {CURATORS} The answer is the {one} as stored; a 400 names each field "
            "that was refused and why.",
        ),
        update=extend_schema(
            summary=f"Replace a {one}",
            description=f"Send every field of the {one}: the ones left out are reset. {CURATORS} {IF_MATCH}",
        ),
        partial_update=extend_schema(
            summary=f"Change some fields of a {one}",
            description=f"Send only the fields that change; the others stay as they are. {CURATORS} {IF_MATCH}",
        ),
        destroy=extend_schema(
            summary=f"Delete a {one}",
            description=f"Remove the {one}. {CURATORS} Refused with a 409 while figures still refer to it. {IF_MATCH}",
        ),
    )


def describe_path_parameters(result: dict) -> None:
    """Give each `{slug}` and `{id}` in the schema's paths the words of its resource."""
    prefix = "/api/v1/"
    for path, operations in result.get("paths", {}).items():
        resource = RESOURCES.get(path.removeprefix(prefix).split("/")[0])
        if resource is None:
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] == resource.lookup:
                    parameter["description"] = resource.lookup_description()
