#!/usr/bin/env node
// Mints JWTs with the `jose` package: an implementation independent of the broker's, so the
// integration tests never check the broker's verifier against the broker's own signer.
//
// Usage: node mint.mjs '<json spec>'   or   echo '<json spec>' | node mint.mjs
// Prints one JSON object on stdout.
//
// Batch spec:
//   {
//     "dir": "/tmp/x",                       // where key files go (default: a new temp dir)
//     "keys": {                              // named keys
//       "rsa": {"alg": "RS256", "kid": "r1"},            // a new key pair (generateKeyPair)
//       "hs":  {"alg": "HS256", "secret": "<utf-8>"},    // an HMAC secret
//       "old": {"alg": "ES256", "private_pem_file": "/tmp/x/ec.key.pem", "kid": "e1"}  // reuse
//     },
//     "jwks": {"jwks.json": ["rsa", "ec"]},  // JWKS files (public JWKs with kid, alg, use)
//     "tokens": [                            // each signed by one key
//       {"key": "rsa",                       // a key name, or
//        "secret_from_pem": "rsa",           //   HMAC with that key's public PEM text as secret
//        "alg": "RS256",                     // default: the key's alg
//        "kid": "r1",                        // default: the key's kid (null: no kid)
//        "header": {...},                    // extra protected header fields
//        "claims": {"sub": "alice", ...},
//        "iat": 0, "exp": 3600, "nbf": null, // offsets in seconds from now; null = absent
//        "raw_payload": "[1,2]"}             // sign these bytes instead of a claims object
//     ]
//   }
// Output: {"dir", "keys": {name: {alg, kid, public_pem, public_pem_file, private_pem_file,
//          jwk, jwk_file, secret}}, "jwks_files": {name: path}, "tokens": [str], "now": secs}
//
// Single spec (no "tokens"): {"alg": "ES256", "claims": {...}, "kid"?, "secret"?, exp/nbf/iat?}
// makes a new key and one token; prints {token, alg, kid, public_pem, public_pem_file, jwk,
// secret, dir, now}.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompactSign, SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8,
} from 'jose';

function readSpec() {
  const text = process.argv[2] ?? readFileSync(0, 'utf8');
  return JSON.parse(text);
}

function defaultCrv(alg) {
  return alg === 'EdDSA' ? { crv: 'Ed25519' } : {};
}

async function makeKey(name, spec, dir) {
  const alg = spec.alg;
  if (!alg) throw new Error(`key ${name}: no alg`);
  const kid = spec.kid === undefined ? name : spec.kid;
  if (alg.startsWith('HS')) {
    if (typeof spec.secret !== 'string') throw new Error(`key ${name}: HS needs a secret`);
    const bytes = new TextEncoder().encode(spec.secret);
    const jwk = { kty: 'oct', k: Buffer.from(bytes).toString('base64url'), alg, use: 'sig' };
    if (kid !== null) jwk.kid = kid;
    return { alg, kid, secret: spec.secret, signingKey: bytes, jwk };
  }
  let privateKey;
  let publicKey;
  if (spec.private_pem_file) {
    privateKey = await importPKCS8(readFileSync(spec.private_pem_file, 'utf8'), alg,
      { extractable: true });
    const { createPublicKey } = await import('node:crypto');
    publicKey = createPublicKey(privateKey);
  } else {
    ({ privateKey, publicKey } = await generateKeyPair(alg,
      { extractable: true, ...defaultCrv(alg), ...(spec.options ?? {}) }));
  }
  const publicPem = await exportSPKI(publicKey);
  const privatePem = await exportPKCS8(privateKey);
  const jwk = { ...(await exportJWK(publicKey)), alg, use: 'sig' };
  if (kid !== null) jwk.kid = kid;
  const publicPemFile = join(dir, `${name}.pub.pem`);
  const privatePemFile = spec.private_pem_file ?? join(dir, `${name}.key.pem`);
  const jwkFile = join(dir, `${name}.jwk.json`);
  writeFileSync(publicPemFile, publicPem);
  if (!spec.private_pem_file) writeFileSync(privatePemFile, privatePem);
  writeFileSync(jwkFile, JSON.stringify(jwk));
  return {
    alg, kid, signingKey: privateKey, jwk,
    public_pem: publicPem, public_pem_file: publicPemFile, private_pem_file: privatePemFile,
    jwk_file: jwkFile,
  };
}

function offset(now, value) {
  return value === null || value === undefined ? undefined : now + value;
}

async function mintToken(spec, keys, now) {
  let signingKey;
  let alg;
  let kid;
  if (spec.secret_from_pem) {
    const source = keys[spec.secret_from_pem];
    if (!source?.public_pem) throw new Error(`secret_from_pem: no PEM for ${spec.secret_from_pem}`);
    signingKey = new TextEncoder().encode(source.public_pem);
    alg = spec.alg ?? 'HS256';
    kid = spec.kid === undefined ? source.kid : spec.kid;
  } else {
    const key = keys[spec.key];
    if (!key) throw new Error(`token: unknown key ${spec.key}`);
    signingKey = key.signingKey;
    alg = spec.alg ?? key.alg;
    kid = spec.kid === undefined ? key.kid : spec.kid;
  }
  const header = { alg, typ: 'JWT', ...(spec.header ?? {}) };
  if (kid !== null && kid !== undefined) header.kid = kid;
  if (spec.raw_payload !== undefined) {
    return new CompactSign(new TextEncoder().encode(spec.raw_payload))
      .setProtectedHeader(header).sign(signingKey);
  }
  const claims = { ...(spec.claims ?? {}) };
  const times = { iat: spec.iat === undefined ? 0 : spec.iat,
    exp: spec.exp === undefined ? 3600 : spec.exp, nbf: spec.nbf };
  for (const [name, value] of Object.entries(times)) {
    const at = offset(now, value);
    if (at !== undefined && !(name in claims)) claims[name] = at;
  }
  return new SignJWT(claims).setProtectedHeader(header).sign(signingKey);
}

function publicView(key) {
  const out = { alg: key.alg, kid: key.kid, jwk: key.jwk };
  for (const name of ['secret', 'public_pem', 'public_pem_file', 'private_pem_file', 'jwk_file']) {
    if (key[name] !== undefined) out[name] = key[name];
  }
  return out;
}

async function batch(spec) {
  const dir = spec.dir ?? mkdtempSync(join(tmpdir(), 'stampede-mint-'));
  const now = Math.floor(Date.now() / 1000);
  const keys = {};
  for (const [name, keySpec] of Object.entries(spec.keys ?? {})) {
    keys[name] = await makeKey(name, keySpec, dir);
  }
  const jwksFiles = {};
  for (const [file, names] of Object.entries(spec.jwks ?? {})) {
    const path = join(dir, file);
    writeFileSync(path, JSON.stringify({ keys: names.map((n) => keys[n].jwk) }, null, 1));
    jwksFiles[file] = path;
  }
  const tokens = [];
  for (const tokenSpec of spec.tokens ?? []) {
    tokens.push(await mintToken(tokenSpec, keys, now));
  }
  const keyViews = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, publicView(k)]));
  return { dir, now, keys: keyViews, jwks_files: jwksFiles, tokens };
}

async function single(spec) {
  const { alg, secret, kid, options, ...tokenSpec } = spec;
  const out = await batch({
    dir: spec.dir,
    keys: { key: { alg, secret, kid: kid === undefined ? null : kid, options } },
    tokens: [{ ...tokenSpec, key: 'key' }],
  });
  return { token: out.tokens[0], dir: out.dir, now: out.now, ...out.keys.key };
}

const spec = readSpec();
const result = spec.tokens !== undefined || spec.keys !== undefined
  ? await batch(spec) : await single(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
