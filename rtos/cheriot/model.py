"""What the image model describes: frozen dataclasses, built once from the ELF."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .header import Span


class Kind(StrEnum):
    """What a component is (rtos.md 2.1)."""

    LOADER = "loader"                                   # boot code; its tail is the idle loop
    SWITCHER = "switcher"
    PRIVILEGED_COMPARTMENT = "privileged compartment"   # scheduler, allocator, software revoker
    PRIVILEGED_LIBRARY = "privileged library"           # token library (no globals)
    COMPARTMENT = "compartment"
    LIBRARY = "library"


class Posture(StrEnum):
    """Interrupt posture of an export (flags bits 3-4, rtos.md 2.2)."""

    INHERIT = "inherit"
    ENABLED = "enabled"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Export:
    address: int                 # of the 4-byte entry
    symbol: str | None           # raw linker symbol (__export_..., __library_export_...)
    function: str                # demangled, without parameters; the key name for sealing types
    function_start: int          # offset from PCC base (0 for sealing types in the image)
    minimum_stack: int           # bytes
    flags: int
    register_arguments: int      # flags bits 0-2
    interrupts: Posture
    is_sealing_type: bool
    exported: bool               # False for local-only entries (callbacks, posture wrappers)


class ImportKind(StrEnum):
    SWITCHER = "switcher"                     # slot 0
    COMPARTMENT_CALL = "compartment call"     # sealed export entry of another compartment
    LIBRARY_CALL = "library call"             # sentry into a library (or privileged library)
    SWITCHER_CALL = "switcher call"           # sentry to a switcher library function
    LOCAL_CALLBACK = "local callback"         # sentry to the importer's own export
    SEALING_KEY = "sealing key"               # static sealing type owned by the importer
    SEALED_OBJECT = "sealed object"           # static sealed object
    MMIO = "MMIO"
    SHARED_OBJECT = "shared object"
    HEAP = "heap"                             # the allocator's whole-heap capability


@dataclass(frozen=True)
class SealingType:
    """A static sealing type: the export entry ``__export.sealing_type.C.Key``."""

    compartment: str
    key: str
    export_address: int
    symbol: str | None


@dataclass(frozen=True)
class InterruptRights:
    number: int
    may_wait: bool
    may_complete: bool
    name: str | None = None      # the board's interrupt name, when the board is known


@dataclass(frozen=True)
class StaticSealedObject:
    address: int                 # of the 8-byte header (image form)
    size: int                    # including the header
    symbol: str | None
    owner: str                   # compartment whose sealed-object range holds it
    sealing_type: SealingType | None
    type_word: int               # first header word in the image (export-entry address)
    payload: bytes
    interrupt: InterruptRights | None = None
    quota: int | None = None     # allocator capabilities: the quota in the image


@dataclass(frozen=True)
class Import:
    address: int                 # of the 8-byte slot
    symbol: str | None
    kind: ImportKind
    target: int                  # the slot's address word in the image
    size_and_perms: int
    compartment: str | None = None    # callee / provider / owner of the target
    function: str | None = None
    export_symbol: str | None = None
    device: str | None = None         # MMIO: board device (or __export_mem_<d> symbol) covered
    start: int | None = None
    length: int | None = None
    permits: tuple[str, ...] = ()     # requested LD, SD, MC, LM, LG
    sealed_object: StaticSealedObject | None = None
    sealing_type: SealingType | None = None


@dataclass(frozen=True)
class Component:
    name: str
    kind: Kind
    code: Span
    globals: Span
    imports_range: Span
    export_table: Span
    sealed_objects_range: Span
    exports: tuple[Export, ...] = ()
    imports: tuple[Import, ...] = ()
    sealed_objects: tuple[StaticSealedObject, ...] = ()
    error_handler: int | None = None            # stackful, PCC-relative
    stackless_error_handler: int | None = None  # current tree only

    def export_named(self, function: str) -> Export | None:
        return next((e for e in self.exports if e.function == function), None)


@dataclass(frozen=True)
class StaticThread:
    id: int                      # RTOS thread ID (1-based)
    compartment: str
    function: str
    entry_export: int
    priority: int
    stack: Span
    trusted_stack: Span
    trusted_stack_frames: int    # nested calls beyond the entry frame, as configured

    @property
    def name(self) -> str:
        return f"{self.compartment}.{self.function}"


@dataclass(frozen=True)
class SharedObject:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Region:
    """An answer of ``where``: what an address belongs to."""

    kind: str                    # "code", "import table", "export table", "globals", ...
    owner: str                   # compartment / library / device / thread name
    start: int
    end: int
    detail: str = ""
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    def describe(self) -> str:
        text = f"{self.kind} of {self.owner} [{self.start:#010x}, {self.end:#010x})"
        return f"{text}: {self.detail}" if self.detail else text
