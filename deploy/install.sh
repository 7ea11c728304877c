#!/bin/sh
# deploy/install.sh - install h5pay on a Debian 12 server (run as root from a
# checkout): packages, build, the h5pay user, binaries, config skeleton,
# nginx site, systemd units. Re-runnable; never overwrites an existing config.
set -eu
cd "$(dirname "$0")/.."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	cmake make gcc pkg-config libfcgi-dev libcurl4-openssl-dev libssl-dev \
	libsqlite3-dev libjson-c-dev nginx-light openssl ca-certificates tzdata
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)"
id h5pay >/dev/null 2>&1 || adduser --system --group --home /var/lib/h5pay \
	--no-create-home h5pay
install -m 0755 build-release/h5payd build-release/h5pay /usr/sbin/
install -m 0755 deploy/h5pay-backup.sh /usr/sbin/h5pay-backup
install -d -m 0750 -o root -g h5pay /etc/h5pay
install -d -m 0700 -o h5pay -g h5pay /etc/h5pay/secrets /var/lib/h5pay \
	/var/backups/h5pay
[ -f /etc/h5pay/h5pay.conf ] ||
	install -m 0640 -o root -g h5pay deploy/h5pay.conf.example \
		/etc/h5pay/h5pay.conf
install -d /etc/nginx/h5pay /usr/share/h5pay/html
install -m 0644 nginx/fastcgi_h5pay.conf nginx/security_headers.conf \
	nginx/h5pay-locations.conf nginx/h5pay-metrics-locations.conf \
	nginx/log_format.conf /etc/nginx/h5pay/
[ -f /etc/nginx/sites-available/h5pay ] ||
	install -m 0644 nginx/h5pay.conf /etc/nginx/sites-available/h5pay
cp -r nginx/html/. /usr/share/h5pay/html/
install -m 0644 deploy/h5payd.service deploy/h5payd-web.socket \
	deploy/h5payd-notify.socket deploy/h5pay-backup.service \
	deploy/h5pay-backup.timer /etc/systemd/system/
systemctl daemon-reload
cat <<'MSG'
Installed. Next:
  1. edit /etc/h5pay/h5pay.conf; put the MD5 key / RSA key and the WeChat
     AppSecret in /etc/h5pay/secrets/ (chown h5pay, chmod 600)
  2. h5payd -t -c /etc/h5pay/h5pay.conf
  3. edit /etc/nginx/sites-available/h5pay (domain, certificate), link it
     into sites-enabled, nginx -t && systemctl reload nginx
  4. systemctl enable --now h5payd-web.socket h5payd-notify.socket h5payd
  5. systemctl enable --now h5pay-backup.timer   (hourly backups, 72 kept;
     see docs/operations.md for restore)
MSG
