#!/usr/bin/env bash
# Prepares the fixtures of test_registry_live in DIR (a fresh temp dir):
#   ca.crt/ca.key            test CA
#   server.crt/server.key    TLS server cert for 127.0.0.1, signed by the CA
#   client.crt/client.key    TLS client cert, signed by the CA
#   token.crt/token.key      RSA key + self-signed cert the token server signs JWTs with
#   users.htpasswd           user "user", password "pass" (bcrypt)
#   certs.d/127.0.0.1:PORT/  ca.crt, client.cert, client.key for the TLS registry
#   image/                   a small image in skopeo's dir: layout (schema 2 manifest)
# Usage: setup.sh DIR TLS_PORT
set -euo pipefail
dir=$1
tls_port=$2
cd "$dir"

ossl() {
        openssl "$@" 2>>openssl.log
}

ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=cric test CA" -keyout ca.key -out ca.crt
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
printf 'extendedKeyUsage=clientAuth\n' >client.ext
for who in server client; do
        ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -subj "/CN=cric test $who" -keyout "$who.key" -out "$who.csr"
        ossl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile "$who.ext" -out "$who.crt"
done
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cric test token issuer" \
        -keyout token.key -out token.crt

htpasswd -Bbn user pass >users.htpasswd

certs="certs.d/127.0.0.1:$tls_port"
mkdir -p "$certs"
cp ca.crt "$certs/ca.crt"
cp client.crt "$certs/client.cert"
cp client.key "$certs/client.key"

# The image: one gzipped layer with one file, a config and a schema 2 manifest.
mkdir -p rootfs image
echo "hello from the cric registry test" >rootfs/hello.txt
tar -C rootfs --owner=0 --group=0 --mtime=@0 -cf - hello.txt | gzip -n >layer.tar.gz
sha() {
        sha256sum "$1" | cut -d' ' -f1
}
size() {
        stat -c %s "$1"
}
diff_id=$(gzip -dc layer.tar.gz | sha256sum | cut -d' ' -f1)
cat >config.json <<JSON
{"architecture":"amd64","os":"linux","config":{"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]}}
JSON
layer=$(sha layer.tar.gz)
config=$(sha config.json)
cp layer.tar.gz "image/$layer"
cp config.json "image/$config"
cat >image/manifest.json <<JSON
{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": $(size config.json),
      "digest": "sha256:$config"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": $(size layer.tar.gz),
         "digest": "sha256:$layer"
      }
   ]
}
JSON
printf 'Directory Transport Version: 1.1\n' >image/version
echo "sha256:$layer" >layer.digest
