"""`score signing-keys`: the Ed25519 key pairs the platform's tokens are signed with (the
gateway's identity key, each feed reader's key) and the JWKS that publish their public
halves. Operators make them once per deployment and on every rotation."""

import json
from typing import Annotated

import typer
from jwt.algorithms import OKPAlgorithm
from rich.console import Console

from shared.keys import InvalidKey, jwks_document, load_private_key, load_public_keys, public_jwk

signing_keys_app = typer.Typer(
    help="Key pairs for identity and feed tokens, and the JWKS of their public halves."
)
console = Console(stderr=True)


@signing_keys_app.command("create")
def create() -> None:
    """Print a new private key (a JWK on one line: store it as a secret), then its public
    JWK (goes into SCORE_IDENTITY_JWKS or SCORE_FEED_READERS_JWKS)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    typer.echo(json.dumps(OKPAlgorithm.to_jwk(private, as_dict=True)))
    typer.echo(json.dumps(public_jwk(private.public_key())))


@signing_keys_app.command("jwks")
def jwks(
    keys: Annotated[
        list[str],
        typer.Argument(help="Keys to publish: private keys (JWK or PEM), public JWKs or JWKS"),
    ],
) -> None:
    """Print the JWKS of the public halves of the keys given: during a rotation, the new
    key and the previous one."""
    public = []
    for text in keys:
        try:
            public.append(load_private_key(text).public_key())
            continue
        except InvalidKey:
            pass
        document = text if '"keys"' in text else json.dumps({"keys": [json.loads(text)]})
        try:
            public.extend(load_public_keys(document).values())
        except (InvalidKey, ValueError) as exc:
            console.print(f"[red]not a key: {exc}[/red]")
            raise typer.Exit(2) from exc
    typer.echo(json.dumps(jwks_document(public)))
