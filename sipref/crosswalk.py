"""Render, for the log decoder: each Q.850 cause across RFC 3398, RFC 4497, FreeSWITCH and
Asterisk, and each SIP code as the products map it. Pure: tables from the model, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sipref.model import Content, Mapping, Product, ProductCause

ISUP_DEFAULT_RESPONSE = 500  # RFC 3398 §7.2.4.1: a cause the table does not list
ISUP_DEFAULT_CAUSE = 31  # RFC 3398 §8.2.6.1: a response the table does not list
TABLE_SECTIONS = {
    "isup-to-sip": "7.2.4.1",
    "sip-to-isup": "8.2.6.1",
    "qsig-to-sip": "8.4.1",
    "sip-to-qsig": "8.4.4",
}


@dataclass(frozen=True, slots=True)
class ProductSide:
    """What one product does with one Q.850 cause: the response it sends for it and the
    responses it turns into it, with each departure from RFC 3398 found."""

    product: Product
    causes: tuple[ProductCause, ...]  # the product's names for this number (often one)
    sends: int | None  # None when the product has no name for this cause
    sends_by_default: bool
    sends_differs: bool  # RFC 3398 §7.2.4.1 gives another response (or none)
    chan_sip_sends: int | None
    from_codes: tuple[int, ...]  # responses its table turns into this cause
    from_differs: tuple[int, ...]  # those for which RFC 3398 §8.2.6.1 gives another cause


@dataclass(frozen=True, slots=True)
class CauseRow:
    """One Q.850 cause on the crosswalk (q850.html#cause-N)."""

    cause: int
    name: str
    named_by: str  # "" when q850.yaml names it, else the product whose printed text is shown
    to_sip: tuple[Mapping, ...]  # RFC 3398 §7.2.4.1 and gateway events
    from_sip: tuple[Mapping, ...]  # RFC 3398 §8.2.6.1
    qsig_to_sip: tuple[Mapping, ...]
    qsig_from_sip: tuple[Mapping, ...]
    no_response: str  # why RFC 3398 sends no response for it, where it says so
    sides: tuple[ProductSide, ...]

    @property
    def anchor(self) -> str:
        return f"cause-{self.cause}"

    @property
    def rfc_responses(self) -> tuple[int, ...]:
        """The responses RFC 3398's table gives for this cause, or its default."""
        listed = tuple(m.code for m in self.to_sip if m.reference.section == "7.2.4.1")
        if listed or self.no_response:
            return listed
        return (ISUP_DEFAULT_RESPONSE,)

    @property
    def from_unlisted_responses(self) -> bool:
        """Whether every response RFC 3398's table does not list becomes this cause."""
        return self.cause == ISUP_DEFAULT_CAUSE

    @property
    def to_sip_by_default(self) -> bool:
        return not self.no_response and not any(
            m.reference.section == "7.2.4.1" for m in self.to_sip
        )


REDIRECTION_CAUSE = 23  # RFC 3398 §8.2.5: a gateway MAY release with cause 23 on a 3xx


def rfc_causes_for(content: Content, code: int) -> tuple[int, ...] | None:
    """The ISUP causes RFC 3398 gives for a received response: §8.2.6.1's table or its
    default 31 for a failure, cause 23 for a redirection (§8.2.5), None below 300."""
    if code < 300:
        return None
    if code < 400:
        return (REDIRECTION_CAUSE,)
    listed = tuple(
        m.cause
        for m in content.mappings
        if m.direction == "sip-to-isup" and m.code == code and m.reference.section == "8.2.6.1"
    )
    return listed or (ISUP_DEFAULT_CAUSE,)


def product_side(
    content: Content, product: Product, cause: int, rfc_responses: tuple[int, ...]
) -> ProductSide:
    """Return what product does with one Q.850 cause number."""
    named = tuple(c for c in product.causes if c.number == cause)
    sends, by_default = product.sends(named[0]) if named else (None, False)
    from_codes = tuple(code for c in named for code in product.codes_to(c.name))
    return ProductSide(
        product=product,
        causes=named,
        sends=sends,
        sends_by_default=by_default,
        sends_differs=sends is not None and sends not in rfc_responses,
        chan_sip_sends=next((c.chan_sip_sends for c in named if c.chan_sip_sends), None),
        from_codes=from_codes,
        from_differs=tuple(
            code for code in from_codes if cause not in (rfc_causes_for(content, code) or (cause,))
        ),
    )


def crosswalk(content: Content) -> tuple[CauseRow, ...]:
    """Return every Q.850 cause that the RFC tables or a product names, in number order."""
    numbers = set(content.causes)
    for product in content.products.values():
        numbers |= {c.q850 for c in product.causes if c.q850 is not None}
    rows = []
    for cause in sorted(numbers):
        mappings = [m for m in content.mappings if m.cause == cause]
        name, named_by = content.causes.get(cause, ""), ""
        if not name:  # a cause only a product uses: show the product's own description
            named = [
                (c, product.name)
                for product in content.products.values()
                for c in product.causes
                if c.number == cause
            ]
            described = [(c.description, by) for c, by in named if c.description]
            name, named_by = (described or [(c.name, by) for c, by in named])[0]
        by_direction = {
            direction: tuple(m for m in mappings if m.direction == direction)
            for direction in TABLE_SECTIONS
        }
        row = CauseRow(
            cause, name, named_by, *by_direction.values(), content.no_response.get(cause, ""), ()
        )
        sides = tuple(
            product_side(content, product, cause, row.rfc_responses)
            for product in content.products.values()
        )
        rows.append(replace(row, sides=sides))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class CodeSide:
    """What one product does with one SIP response code (its code page's product part)."""

    product: Product
    becomes: ProductCause  # the cause a received response becomes
    becomes_by_default: bool
    becomes_differs: bool  # RFC 3398 §8.2.6.1 gives another cause
    chan_sip_becomes: ProductCause | None
    sent_for: tuple[ProductCause, ...]  # causes that make the product send this code


def reported(cause: ProductCause) -> int:
    """The Q.850 value a product reports for its cause: the number, or for a number beyond
    Q.850's range what the product says it stands for."""
    return cause.reported_as if cause.reported_as is not None else cause.number


def code_sides(content: Content, code: int) -> tuple[CodeSide, ...]:
    """Return, per product, the cause a received code becomes and the causes that send it."""
    sides = []
    rfc = rfc_causes_for(content, code)
    for product in content.products.values():
        name, by_default = product.cause_for(code)
        becomes = product.cause(name)
        row = next((r for r in product.responses if r.code == code), None)
        chan_sip = product.cause(row.chan_sip_cause) if row and row.chan_sip_cause else None
        sides.append(
            CodeSide(
                product=product,
                becomes=becomes,
                becomes_by_default=by_default,
                becomes_differs=rfc is not None and reported(becomes) not in rfc,
                chan_sip_becomes=chan_sip,
                sent_for=tuple(c for c in product.causes if c.sends == code),
            )
        )
    return tuple(sides)


@dataclass(frozen=True, slots=True)
class ProductEntry:
    """One row of a product page (freeswitch.html#USER_BUSY)."""

    cause: ProductCause
    sends: int
    by_default: bool
    differs: bool  # RFC 3398 §7.2.4.1 gives another response for this Q.850 cause
    from_codes: tuple[int, ...]
    from_differs: tuple[int, ...]


def product_entries(
    content: Content, product: Product, causes: tuple[CauseRow, ...]
) -> tuple[ProductEntry, ...]:
    """Return a product page's rows: every cause in the product's own order; causes is the
    crosswalk."""
    rows = {row.cause: row for row in causes}
    entries = []
    for cause in product.causes:
        sends, by_default = product.sends(cause)
        from_codes = product.codes_to(cause.name)
        row = rows.get(cause.q850) if cause.q850 is not None else None
        side = row and next(s for s in row.sides if s.product is product)
        entries.append(
            ProductEntry(
                cause,
                sends,
                by_default,
                bool(side and side.sends_differs),
                from_codes,
                tuple(c for c in from_codes if side and c in side.from_differs)
                if row
                else tuple(
                    c
                    for c in from_codes
                    if reported(cause) not in (rfc_causes_for(content, c) or (reported(cause),))
                ),
            )
        )
    return tuple(entries)
