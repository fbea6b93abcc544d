"""``/v1/programmes``: create, list, read, update the configuration (every version kept;
as JSON or as a TOML file), read it back (JSON or TOML), and the programme's active
(published) pairs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response
from sqlalchemy import select

from matching.defaults import default_programme
from matching.errors import ConfigError, InputError
from matching.learning import to_toml
from matching.model import Programme as EngineProgramme
from service.deps import (
    LanguageDep,
    PageDep,
    PathText,
    PrincipalDep,
    SecretDep,
    SessionDep,
    get_programme,
)
from service.errors import UnprocessableError, input_error_items
from service.models import ActivePair, Programme, ProgrammeVersion, new_id
from service.ops.checks import check_programme
from service.ops.paging import paginate
from service.pseudonyms import pseudonym
from service.schemas.checks import CheckOut
from service.schemas.common import BODY, READ, WRITE, Page, error_responses, page_of
from service.schemas.programmes import (
    ActivePairOut,
    ConfigIn,
    ProgrammeIn,
    ProgrammeOut,
    VersionOut,
)
from service.toml_body import TOML, toml_request_body

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])

READ_ERRORS = error_responses(READ, 409)
ERRORS = error_responses(WRITE, BODY)


def _out(programme: Programme, version: ProgrammeVersion) -> ProgrammeOut:
    return ProgrammeOut(
        id=programme.id,
        name=programme.name,
        version=version.version,
        config_sha256=version.sha256,
        config=version.config,
        created_at=programme.created_at,
        published_run_id=programme.published_run_id,
    )


def _validated(config: EngineProgramme | None) -> EngineProgramme:
    """The configuration asked for (validated with the request), or the default one."""
    return default_programme() if config is None else config


def _current(session: SessionDep, programme: Programme) -> ProgrammeVersion:
    version = session.get(ProgrammeVersion, (programme.id, programme.version))
    assert version is not None  # written together with the programme, never deleted
    return version


@router.post(
    "",
    status_code=201,
    responses=ERRORS,
    openapi_extra=toml_request_body("#/components/schemas/ProgrammeIn"),
)
def create_programme(
    body: ProgrammeIn,
    principal: PrincipalDep,
    session: SessionDep,
    name: Annotated[
        str | None,
        Query(
            max_length=200,
            description="With a TOML body: the programme's name (else the file's `name`)",
        ),
    ] = None,
) -> ProgrammeOut:
    """Create a programme (global admin keys only) with its first configuration: JSON
    `{"name", "config"}`, or the configuration as a TOML file (`Content-Type:
    application/toml`, the name in the `name` query parameter or the file's)."""
    del name  # declared for the documentation and the unknown-parameter check; the TOML
    # body middleware has already put it into the body
    if not principal.is_global_admin:
        raise HTTPException(status_code=403, detail="only a global admin key creates programmes")
    engine_programme = _validated(body.config)
    programme = Programme(id=new_id("prg"), name=body.title, version=1)
    version = ProgrammeVersion(
        programme_id=programme.id,
        version=1,
        config=engine_programme.model_dump(mode="json"),
        sha256=engine_programme.sha256(),
        created_by=principal.key_id,
    )
    session.add(programme)
    session.flush()
    session.add(version)
    session.commit()
    return _out(programme, version)


@router.get("", responses=READ_ERRORS)
def list_programmes(
    principal: PrincipalDep, session: SessionDep, page: PageDep
) -> Page[ProgrammeOut]:
    query = select(Programme)
    if principal.programme_id is not None:
        query = query.where(Programme.id == principal.programme_id)
    rows = paginate(session, query, page, Programme.created_at, Programme.id)
    return page_of(rows, [_out(p, _current(session, p)) for p in rows.items])


@router.get("/{programme_id}", responses=READ_ERRORS)
def read_programme(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep
) -> ProgrammeOut:
    programme = get_programme(session, principal, programme_id)
    return _out(programme, _current(session, programme))


@router.put(
    "/{programme_id}/config",
    responses=ERRORS,
    openapi_extra=toml_request_body("#/components/schemas/ConfigIn"),
)
def update_config(
    programme_id: PathText, body: ConfigIn, principal: PrincipalDep, session: SessionDep
) -> ProgrammeOut:
    """Store a new configuration version (JSON `{"config"}`, or the configuration as a
    TOML file with `Content-Type: application/toml`); earlier versions (and runs on
    them) are kept."""
    programme = get_programme(session, principal, programme_id)
    if principal.role != "admin":
        raise HTTPException(status_code=403, detail="only an admin key changes the configuration")
    engine_programme = _validated(body.config)
    programme.version += 1
    version = ProgrammeVersion(
        programme_id=programme.id,
        version=programme.version,
        config=engine_programme.model_dump(mode="json"),
        sha256=engine_programme.sha256(),
        created_by=principal.key_id,
    )
    session.add(version)
    session.commit()
    return _out(programme, version)


CONFIG_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The configuration, as JSON or (`Accept: application/toml`) as the "
        "TOML file `marraine match --config` reads",
        "content": {TOML: {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{programme_id}/config",
    responses={**READ_ERRORS, **CONFIG_CONTENT},
    response_model=dict[str, Any],
)
def read_config(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    accept: Annotated[str | None, Header(max_length=500)] = None,
) -> Any:
    """The programme's current configuration: JSON, or TOML when asked for with
    `Accept: application/toml`."""
    programme = get_programme(session, principal, programme_id)
    config = _current(session, programme).config
    if accept is not None and TOML in accept.lower():
        try:
            text = to_toml(EngineProgramme.from_dict(config))
        except ConfigError:  # stored under an older model: JSON is the faithful copy
            raise HTTPException(status_code=406, detail="this version has no TOML form") from None
        return Response(text, media_type=f"{TOML}; charset=utf-8")
    return config


@router.post("/{programme_id}/check", responses=error_responses(WRITE, 409, 422))
def check(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, language: LanguageDep
) -> CheckOut:
    """Check before a run: what a run of the current configuration would read of the
    stored participants — the column of each role, criterion and rule (found or not),
    columns nobody reads, values the criteria do not know, the pairs each rule excludes,
    the quotas — with the run's warnings and what would refuse it (`ok` false), in the
    `Accept-Language` asked for, else the programme's language.
    Nothing is matched. 422 when the ids or counts cannot be read at all."""
    programme = get_programme(session, principal, programme_id, write=True)
    try:
        return CheckOut.model_validate(check_programme(session, programme, language))
    except InputError as error:
        raise UnprocessableError(input_error_items(error, ["participants"])) from None


@router.get("/{programme_id}/versions", responses=READ_ERRORS)
def list_versions(
    programme_id: PathText, principal: PrincipalDep, session: SessionDep, page: PageDep
) -> Page[VersionOut]:
    programme = get_programme(session, principal, programme_id)
    query = select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)
    rows = paginate(session, query, page, ProgrammeVersion.version)
    items = [
        VersionOut(version=v.version, sha256=v.sha256, config=v.config, created_at=v.created_at)
        for v in rows.items
    ]
    return page_of(rows, items)


@router.get("/{programme_id}/pairs", responses=READ_ERRORS)
def active_pairs(
    programme_id: PathText,
    principal: PrincipalDep,
    session: SessionDep,
    secret: SecretDep,
    page: PageDep,
) -> Page[ActivePairOut]:
    """The programme's active pairs: the approved and locked pairs of its published run."""
    programme = get_programme(session, principal, programme_id)
    query = select(ActivePair).where(ActivePair.programme_id == programme.id)
    rows = paginate(session, query, page, ActivePair.id)
    hide = principal.role == "researcher"
    items = [
        ActivePairOut(
            mentee_id=pseudonym(secret, programme.id, a.mentee_id) if hide else a.mentee_id,
            mentor_id=pseudonym(secret, programme.id, a.mentor_id) if hide else a.mentor_id,
            score=a.score,
            run_id=a.run_id,
            published_at=a.published_at,
        )
        for a in rows.items
    ]
    return page_of(rows, items)
