"""What a software demo marketplace sells: its categories, sellers and products, written to fit
its theme (Byte Bazaar is a bazaar of independent software). Prices in USD cents. Marketplaces
of other modules get their demo data from the module's own ``demo`` hook."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoProduct:
    name: str
    price: int
    summary: str
    description: str
    category: str
    tags: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoSeller:
    slug: str
    business_name: str
    bio: str
    products: tuple[DemoProduct, ...]
    teammates: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class DemoCatalogue:
    categories: tuple[tuple[str, str], ...]  # (name, description)
    sellers: tuple[DemoSeller, ...]
    buyers: tuple[str, ...] = field(default=())


BUYERS = (
    "Amara Okafor",
    "Jonas Weber",
    "Lucía Fernández",
    "Hiroshi Tanaka",
    "Priya Raman",
    "Tom Becker",
    "Sofia Rossi",
    "Mateo Silva",
    "Chloé Martin",
    "Noah Williams",
    "Leila Haddad",
    "Erik Lindqvist",
    "Maya Cohen",
    "Kwame Mensah",
    "Isabella Costa",
    "Daniel Novak",
    "Aiko Suzuki",
    "Omar Farouk",
    "Grace Kim",
    "Lars Jensen",
    "Fatima Zahra",
    "Ben Carter",
    "Elena Popescu",
    "Ravi Patel",
)

BYTE_BAZAAR = DemoCatalogue(
    categories=(
        ("Productivity", "Notes, tasks and the tools that keep a day in order."),
        ("Developer tools", "Editors, linters and build helpers from people who ship."),
        ("Design", "Icons, colour and layout tools for screens and print."),
        ("Security", "Backups, passwords and encryption you can trust."),
        ("Utilities", "Small programs that do one thing well."),
    ),
    sellers=(
        DemoSeller(
            slug="nimbus-labs",
            business_name="Nimbus Labs",
            bio="A three-person studio in Lisbon making calm, offline-first productivity software.",
            teammates=(("ana@nimbus-labs.localhost", ("process_orders", "manage_customers")),),
            products=(
                DemoProduct(
                    "Nimbus Notes Pro",
                    2900,
                    "Markdown notes that sync across your machines.",
                    "Plain-text Markdown notes with end-to-end encrypted sync, backlinks, "
                    "daily notes and a command palette. Works offline; your files stay "
                    "yours.",
                    "Productivity",
                    ("notes", "markdown", "sync"),
                    ("End-to-end encrypted sync", "Backlinks and graph", "3 machines"),
                ),
                DemoProduct(
                    "Nimbus Backup",
                    4900,
                    "Encrypted, versioned backups for small teams.",
                    "Deduplicated, versioned backups to any S3-compatible storage, with "
                    "client-side encryption and restore tests you can schedule.",
                    "Security",
                    ("backup", "encryption"),
                    ("Client-side encryption", "Scheduled restore tests"),
                ),
                DemoProduct(
                    "Nimbus Focus",
                    1200,
                    "A quiet timer that blocks distractions.",
                    "Pomodoro and deep-work timers that mute notifications and block the "
                    "sites you choose until the session ends.",
                    "Productivity",
                    ("focus", "timer"),
                ),
            ),
        ),
        DemoSeller(
            slug="quill-works",
            business_name="Quill Works",
            bio="Tools for freelancers who would rather be doing the work than the paperwork.",
            products=(
                DemoProduct(
                    "Quill Invoice",
                    1900,
                    "Invoices and quotes in every currency.",
                    "Branded invoices and quotes in 30 currencies, recurring invoices, "
                    "reminders and an accountant-friendly export.",
                    "Utilities",
                    ("invoicing", "freelance"),
                ),
                DemoProduct(
                    "Quill Time Tracker",
                    900,
                    "Track hours per client and export them.",
                    "One-click timers per client and project, idle detection and CSV "
                    "exports that drop straight into Quill Invoice.",
                    "Productivity",
                    ("time-tracking",),
                ),
            ),
        ),
        DemoSeller(
            slug="pixel-forge",
            business_name="Pixel Forge",
            bio="Designers building the tools they wanted: sharp, fast and keyboard-first.",
            products=(
                DemoProduct(
                    "Forge Icon Studio",
                    3900,
                    "Draw, export and version icon sets.",
                    "A vector editor made for icon systems: grids, stroke rules, "
                    "one-click export to SVG, PNG and icon fonts, with version history.",
                    "Design",
                    ("icons", "vector"),
                ),
                DemoProduct(
                    "Palette Pro",
                    1500,
                    "Accessible colour palettes in seconds.",
                    "Generate palettes that pass WCAG contrast, preview them on real UI "
                    "and export to CSS, Figma tokens and Tailwind.",
                    "Design",
                    ("colour", "accessibility"),
                ),
                DemoProduct(
                    "Layout Grid Kit",
                    2400,
                    "Responsive grids for every screen.",
                    "Define responsive layout grids once and overlay them on any app or "
                    "browser window while you design.",
                    "Design",
                    ("layout",),
                ),
            ),
        ),
        DemoSeller(
            slug="ironclad",
            business_name="Ironclad Security",
            bio="Security software audited in the open, priced for small businesses.",
            products=(
                DemoProduct(
                    "Ironclad Vault",
                    3500,
                    "A password manager for the whole team.",
                    "Shared vaults, per-item permissions, breach alerts and a browser "
                    "extension. Zero-knowledge encryption, audited yearly.",
                    "Security",
                    ("passwords", "teams"),
                ),
                DemoProduct(
                    "Lintel",
                    2900,
                    "A fast linter for Python and TypeScript.",
                    "Hundreds of rules, autofix, editor integrations and a CI mode that "
                    "comments on pull requests.",
                    "Developer tools",
                    ("linter", "ci"),
                ),
                DemoProduct(
                    "Shipyard CLI",
                    4500,
                    "Release automation from your terminal.",
                    "Changelogs, version bumps, signed tags and release notes from your "
                    "commit history, in one command.",
                    "Developer tools",
                    ("release", "cli"),
                ),
            ),
        ),
    ),
    buyers=BUYERS,
)

CATALOGUES = {"byte-bazaar": BYTE_BAZAAR}

REVIEW_TEXTS = (
    (5, "Does exactly what it says", "Set up in five minutes and it has not let me down since."),
    (5, "Worth every cent", "Replaced two other tools for us. Support answered within hours."),
    (4, "Very good, one wish", "Solid and fast. I would love a dark mode, otherwise perfect."),
    (4, "Great value", "Clean, quick and the licence covers my laptop and desktop."),
    (3, "Good but a learning curve", "Powerful once you get it, the first hour was confusing."),
    (5, "My daily driver", "I open it every morning. The keyboard shortcuts are superb."),
    (2, "Not for my workflow", "Well made, but it lacks the export format I need."),
    (5, "Exactly what our team needed", "We moved the whole team over in an afternoon."),
    (4, "Reliable", "Has not crashed once in three months of daily use."),
    (5, "Great documentation", "Every question I had was answered in the guide."),
    (3, "Fine for the price", "Does the basics well; the advanced settings feel unfinished."),
    (4, "Happy with it", "Quick to learn, and the updates keep coming."),
    (5, "Better than the big names", "Cheaper and friendlier than what we used before."),
    (4, "Recommended", "A colleague suggested it and I can see why."),
)
