#!/usr/bin/env python3
"""An independent implementation of the sigstore (cosign) signature format,
for the tests: it shares no code with sheaf, and follows the specifications
(cosign's SIGNATURE_SPEC, containers/image's sigstore payload, and
go-securesystemslib's encrypted key envelope) with Python's own libraries
(cryptography, PyNaCl, hashlib, urllib).

  verify  --registry HOST:PORT --repository REPO (--digest sha256:HEX | --tag TAG)
          --key PUB.pem [--identity HOST:PORT/REPO:TAG]
      with --tag, first reads REPO:TAG and takes the sha256 of the bytes the
      registry sends as DIGEST; then reads REPO:sha256-HEX.sig and accepts
      (exit 0) when one layer holds a
      payload of media type application/vnd.dev.cosign.simplesigning.v1+json
      whose blob matches its digest, whose signature annotation verifies
      under the key, whose critical.type is "cosign container image
      signature", whose docker-manifest-digest is DIGEST, and whose
      docker-reference is IDENTITY (when given). Exit 1 with the reasons
      otherwise.
  keygen  --prefix P --passphrase PW [--algorithm ecdsa-p256|ed25519|rsa]
      writes P.key in cosign's encrypted format and P.pub.
  decrypt --key KEY --passphrase PW --public PUB
      opens KEY and checks that its public half is PUB (exit 0), or says why
      not (exit 1).
  sign    --registry HOST:PORT --repository REPO --digest sha256:HEX
          --key KEY --passphrase PW --identity HOST:PORT/REPO:TAG
      signs as cosign would and pushes the .sig manifest (replacing any).
  tamper  --registry HOST:PORT --repository REPO --digest sha256:HEX
          --how payload-bit|signature-bit|garbage-signature|copy
          [--to-repository R --to-digest sha256:HEX]
      rewrites the .sig manifest of DIGEST: one bit flipped in the first
      layer's payload (a new blob) or signature, a signature annotation that
      is not base64, or the manifest copied as it is to another digest's tag
      or another repository (a replay).
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
import nacl.secret

PAYLOAD_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIGNATURE_TYPE = "cosign container image signature"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def http(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def fetch_manifest(registry, repository, reference):
    try:
        _, _, body = http("GET", f"http://{registry}/v2/{repository}/manifests/{reference}",
                          headers={"Accept": OCI_MANIFEST})
        return body
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def fetch_blob(registry, repository, digest):
    _, _, body = http("GET", f"http://{registry}/v2/{repository}/blobs/{digest}")
    return body


def verify_signature(public_key, payload, signature):
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if public_key.curve.name != "secp256r1":
                return "the key is not on P-256"
            public_key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, payload)
        else:
            return "the key is neither ECDSA P-256 nor Ed25519"
    except InvalidSignature:
        return "the signature does not verify under the key"
    return None


def check_payload(payload, digest, identity):
    try:
        doc = json.loads(payload)
    except ValueError:
        return "the payload is not JSON"
    if not isinstance(doc, dict) or set(doc) != {"critical", "optional"}:
        return "the payload must hold exactly critical and optional"
    critical = doc["critical"]
    if not isinstance(critical, dict) or set(critical) != {"type", "image", "identity"}:
        return "critical must hold exactly type, image and identity"
    if critical["type"] != SIGNATURE_TYPE:
        return f"critical.type is {critical['type']!r}"
    image = critical["image"]
    if not isinstance(image, dict) or set(image) != {"docker-manifest-digest"}:
        return "critical.image must hold exactly docker-manifest-digest"
    if image["docker-manifest-digest"] != digest:
        return f"the payload signs {image['docker-manifest-digest']}, not {digest}"
    ident = critical["identity"]
    if not isinstance(ident, dict) or set(ident) != {"docker-reference"}:
        return "critical.identity must hold exactly docker-reference"
    if identity is not None and ident["docker-reference"] != identity:
        return f"the payload is signed for {ident['docker-reference']}, not {identity}"
    return None


def cmd_verify(args):
    with open(args.key, "rb") as f:
        public_key = serialization.load_pem_public_key(f.read())
    if args.tag:
        try:
            body = fetch_manifest(args.registry, args.repository, args.tag)
        except urllib.error.HTTPError as e:
            print(f"cannot read {args.repository}:{args.tag}: HTTP {e.code}")
            return 1
        if body is None:
            print(f"{args.repository}:{args.tag} does not exist")
            return 1
        args.digest = "sha256:" + hashlib.sha256(body).hexdigest()
    tag = args.digest.replace(":", "-") + ".sig"
    try:
        body = fetch_manifest(args.registry, args.repository, tag)
    except urllib.error.HTTPError as e:
        print(f"cannot read {args.repository}:{tag}: HTTP {e.code}")
        return 1
    if body is None:
        print(f"no signature: {args.repository}:{tag} does not exist")
        return 1
    try:
        manifest = json.loads(body)
        layers = manifest["layers"]
        if manifest.get("schemaVersion") != 2 or not isinstance(layers, list):
            raise ValueError("not an image manifest")
    except (ValueError, KeyError, TypeError) as e:
        print(f"the signature manifest is malformed: {e}")
        return 1
    problems = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or layer.get("mediaType") != PAYLOAD_TYPE:
            continue
        payload = fetch_blob(args.registry, args.repository, layer["digest"])
        if "sha256:" + hashlib.sha256(payload).hexdigest() != layer["digest"]:
            problems.append(f"layer {i}: the payload does not match its digest")
            continue
        encoded = (layer.get("annotations") or {}).get(SIGNATURE_ANNOTATION)
        if not encoded:
            problems.append(f"layer {i}: no signature annotation")
            continue
        try:
            signature = base64.b64decode(encoded, validate=True)
        except ValueError:
            problems.append(f"layer {i}: the signature is not base64")
            continue
        problem = verify_signature(public_key, payload, signature) or check_payload(payload, args.digest, args.identity)
        if problem:
            problems.append(f"layer {i}: {problem}")
            continue
        print(f"accepted: layer {i}")
        return 0
    print("refused: " + ("; ".join(problems) if problems else "no signature layer"))
    return 1


def scrypt_key(passphrase, salt, n, r, p):
    return hashlib.scrypt(passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 << 20, dklen=32)


def cmd_keygen(args):
    if args.algorithm == "ed25519":
        private_key = ed25519.Ed25519PrivateKey.generate()
    elif args.algorithm == "rsa":  # what cosign also reads, and sheaf refuses
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private_key = ec.generate_private_key(ec.SECP256R1())
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    box = nacl.secret.SecretBox(scrypt_key(args.passphrase, salt, 32768, 8, 1))
    sealed = box.encrypt(der, nonce).ciphertext  # tag then ciphertext, as Go's secretbox.Seal
    envelope = {
        "kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.b64encode(json.dumps(envelope, separators=(",", ":")).encode()).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    with open(args.prefix + ".key", "w") as f:
        f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + "\n".join(lines) +
                "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    with open(args.prefix + ".pub", "wb") as f:
        f.write(private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return 0


def open_key(path, passphrase):
    text = open(path).read()
    begin = text.index("PRIVATE KEY-----") + len("PRIVATE KEY-----")
    end = text.index("-----END")
    envelope = json.loads(base64.b64decode("".join(text[begin:end].split())))
    if envelope["kdf"]["name"] != "scrypt" or envelope["cipher"]["name"] != "nacl/secretbox":
        raise ValueError("not scrypt and nacl/secretbox")
    params = envelope["kdf"]["params"]
    key = scrypt_key(passphrase, base64.b64decode(envelope["kdf"]["salt"]), params["N"], params["r"], params["p"])
    der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(envelope["ciphertext"]),
                                             base64.b64decode(envelope["cipher"]["nonce"]))
    return serialization.load_der_private_key(der, password=None)


def cmd_decrypt(args):
    try:
        private_key = open_key(args.key, args.passphrase)
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        print(f"cannot open {args.key}: {type(e).__name__}: {e}")
        return 1
    mine = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(args.public, "rb") as f:
        theirs = serialization.load_pem_public_key(f.read()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if mine != theirs:
        print("the private key's public half is not the public key given")
        return 1
    print("ed25519" if isinstance(private_key, ed25519.Ed25519PrivateKey) else "ecdsa-p256")
    return 0


def upload(registry, repository, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers, _ = http("POST", f"http://{registry}/v2/{repository}/blobs/uploads/", data=b"")
    location = headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    http("PUT", f"{location}{separator}digest={digest}", data=data,
         headers={"Content-Type": "application/octet-stream"})
    return digest


def cmd_sign(args):
    private_key = open_key(args.key, args.passphrase)
    payload = json.dumps({"critical": {"identity": {"docker-reference": args.identity},
                                       "image": {"docker-manifest-digest": args.digest},
                                       "type": SIGNATURE_TYPE},
                          "optional": None}, separators=(",", ":")).encode()
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        signature = private_key.sign(payload)
    else:
        signature = private_key.sign(payload, ec.ECDSA(hashes.SHA256()))
    payload_digest = upload(args.registry, args.repository, payload)
    config = json.dumps({"architecture": "", "os": "", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [payload_digest]}}).encode()
    config_digest = upload(args.registry, args.repository, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config),
                   "digest": config_digest},
        "layers": [{"mediaType": PAYLOAD_TYPE, "size": len(payload), "digest": payload_digest,
                    "annotations": {SIGNATURE_ANNOTATION: base64.b64encode(signature).decode()}}],
    }).encode()
    tag = args.digest.replace(":", "-") + ".sig"
    http("PUT", f"http://{args.registry}/v2/{args.repository}/manifests/{tag}", data=manifest,
         headers={"Content-Type": OCI_MANIFEST})
    return 0


def put_manifest(registry, repository, tag, manifest):
    http("PUT", f"http://{registry}/v2/{repository}/manifests/{tag}", data=manifest,
         headers={"Content-Type": OCI_MANIFEST})


def cmd_tamper(args):
    tag = args.digest.replace(":", "-") + ".sig"
    body = fetch_manifest(args.registry, args.repository, tag)
    manifest = json.loads(body)
    layer = manifest["layers"][0]
    if args.how == "payload-bit":
        payload = bytearray(fetch_blob(args.registry, args.repository, layer["digest"]))
        payload[len(payload) // 2] ^= 1
        layer["digest"] = upload(args.registry, args.repository, bytes(payload))
        layer["size"] = len(payload)
    elif args.how == "signature-bit":
        signature = bytearray(base64.b64decode(layer["annotations"][SIGNATURE_ANNOTATION]))
        signature[len(signature) // 2] ^= 1
        layer["annotations"][SIGNATURE_ANNOTATION] = base64.b64encode(bytes(signature)).decode()
    elif args.how == "garbage-signature":
        layer["annotations"][SIGNATURE_ANNOTATION] = "not base64!"
    elif args.how == "copy":
        repository = args.to_repository or args.repository
        if repository != args.repository:  # the blobs must be in the other repository too
            for d in [manifest["config"]] + manifest["layers"]:
                upload(args.registry, repository, fetch_blob(args.registry, args.repository, d["digest"]))
        put_manifest(args.registry, repository, (args.to_digest or args.digest).replace(":", "-") + ".sig", body)
        return 0
    put_manifest(args.registry, args.repository, tag, json.dumps(manifest).encode())
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify")
    sign = commands.add_parser("sign")
    for p in (verify, sign):
        p.add_argument("--registry", required=True)
        p.add_argument("--repository", required=True)
        p.add_argument("--key", required=True)
    sign.add_argument("--digest", required=True)
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("--digest")
    which.add_argument("--tag")
    verify.add_argument("--identity")
    sign.add_argument("--identity", required=True)
    sign.add_argument("--passphrase", default="")
    keygen = commands.add_parser("keygen")
    keygen.add_argument("--prefix", required=True)
    keygen.add_argument("--passphrase", default="")
    keygen.add_argument("--algorithm", choices=["ecdsa-p256", "ed25519", "rsa"], default="ecdsa-p256")
    decrypt = commands.add_parser("decrypt")
    decrypt.add_argument("--key", required=True)
    decrypt.add_argument("--passphrase", default="")
    decrypt.add_argument("--public", required=True)
    tamper = commands.add_parser("tamper")
    tamper.add_argument("--registry", required=True)
    tamper.add_argument("--repository", required=True)
    tamper.add_argument("--digest", required=True)
    tamper.add_argument("--how", required=True, choices=["payload-bit", "signature-bit", "garbage-signature", "copy"])
    tamper.add_argument("--to-repository")
    tamper.add_argument("--to-digest")
    args = parser.parse_args()
    return {"verify": cmd_verify, "keygen": cmd_keygen, "decrypt": cmd_decrypt, "sign": cmd_sign,
            "tamper": cmd_tamper}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
