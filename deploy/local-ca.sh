#!/bin/sh
# deploy/local-ca.sh DIR [NAME]: make a throw-away CA and a server
# certificate for 127.0.0.1/localhost in DIR (ca.pem, ca.key, server.pem,
# server.key), with the openssl CLI. For the demo and the tests only: the
# simulator and the local shop use it, h5payd verifies against ca.pem.
set -eu
dir=$1
name=${2:-h5pay local test CA}
mkdir -p "$dir"
cd "$dir"
[ -f server.pem ] && [ -f ca.pem ] && exit 0
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
	-keyout ca.key -out ca.pem -subj "/CN=$name" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key \
	-out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 30 -sha256 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem server.pem
