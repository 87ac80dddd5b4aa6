#!/usr/bin/env bash
# Installs ionworks-edge as a systemd service on this PC, or removes it. Safe to run again (idempotent).
#
#   sudo systemd/install.sh [--config FILE]     create the user, directories, unit, udev rules, the
#                                               /usr/local/bin/ionworks-edge command; enable the service
#   sudo systemd/install.sh --uninstall         remove unit, udev rules, module list, command; keep config,
#                                               outbox, user
#   sudo systemd/install.sh --purge             also remove /etc/ionworks-edge, /var/lib/ionworks-edge (the
#                                               outbox, with anything not yet uploaded), /opt/ionworks-edge, the user
#   systemd/install.sh --root DIR [...]         write every file under DIR instead of /, for tests and packaging:
#                                               the user and groups go into DIR/etc/passwd and DIR/etc/group, and
#                                               useradd/systemctl/udevadm/modprobe are printed ("skip:"), not run
#
# Run from an unpacked release in /opt/ionworks-edge/releases/<version>/ it also points
# /opt/ionworks-edge/current at that release (the unit runs current/dist/cli/main.js). See docs/operations.md.
set -euo pipefail

NAME=ionworks-edge
ROOT=""
MODE=install
CONFIG_SRC=""
BRLTTY_MARK="# ionworks-edge: masks brltty's udev rules, which grab USB-serial instruments (CH340)"

die() { echo "$NAME install: error: $*" >&2; exit 1; }
say() { echo "$NAME install: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$(cd "$2" && pwd)" || die "no directory $2"; shift 2 ;;
    --config) [ $# -ge 2 ] || die "--config needs a file"; CONFIG_SRC="$2"; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) MODE=purge; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[ -n "$ROOT" ] || [ "$(id -u)" -eq 0 ] || die "run as root (sudo), or use --root DIR"
[ -z "$CONFIG_SRC" ] || [ -f "$CONFIG_SRC" ] || die "no config file $CONFIG_SRC"

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ETC="$ROOT/etc/$NAME"
STATE="$ROOT/var/lib/$NAME"
OPT="$ROOT/opt/$NAME"
UNIT="$ROOT/etc/systemd/system/$NAME.service"
RULES="$ROOT/etc/udev/rules.d/60-$NAME.rules"
MODULES="$ROOT/etc/modules-load.d/$NAME.conf"
BRLTTY_MASK="$ROOT/etc/udev/rules.d/85-brltty.rules"
CLI="$ROOT/usr/local/bin/$NAME"
NOLOGIN="$(command -v nologin || echo /usr/sbin/nologin)"

# Commands that change the running machine; with --root they are only printed.
sys() { if [ -n "$ROOT" ]; then say "skip: $*"; else "$@"; fi; }
have_systemd() { [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }
have_udev() { [ -z "$ROOT" ] && command -v udevadm >/dev/null; }

# --- users and groups: useradd on a real system, passwd/group lines under --root ---------------------------
root_free_id() { # lowest unused system id counting down from 999 in DIR/etc/passwd and DIR/etc/group
  local id=999
  while cut -d: -f3 "$ROOT/etc/passwd" "$ROOT/etc/group" | grep -qx "$id"; do id=$((id - 1)); done
  echo "$id"
}
root_ensure_group() { grep -q "^$1:" "$ROOT/etc/group" || echo "$1:x:$(root_free_id):" >>"$ROOT/etc/group"; }
root_group_member() { # $1 group, $2 add|del
  awk -F: -v OFS=: -v g="$1" -v u="$NAME" -v op="$2" '$1 == g {
      n = split($4, m, ","); out = ""
      for (i = 1; i <= n; i++) if (m[i] != "" && m[i] != u) out = out (out == "" ? "" : ",") m[i]
      if (op == "add") out = out (out == "" ? "" : ",") u
      $4 = out } { print }' "$ROOT/etc/group" >"$ROOT/etc/group.new"
  mv "$ROOT/etc/group.new" "$ROOT/etc/group"
}
ensure_user() {
  if [ -n "$ROOT" ]; then
    mkdir -p "$ROOT/etc"; touch "$ROOT/etc/passwd" "$ROOT/etc/group"
    for g in dialout input "$NAME"; do root_ensure_group "$g"; done
    local gid; gid="$(awk -F: -v g="$NAME" '$1 == g { print $3 }' "$ROOT/etc/group")"
    grep -q "^$NAME:" "$ROOT/etc/passwd" ||
      echo "$NAME:x:$(root_free_id):$gid:$NAME daemon:/var/lib/$NAME:$NOLOGIN" >>"$ROOT/etc/passwd"
    for g in dialout input; do root_group_member "$g" add; done
  else
    for g in dialout input "$NAME"; do getent group "$g" >/dev/null || groupadd --system "$g"; done
    id -u "$NAME" >/dev/null 2>&1 ||
      useradd --system --gid "$NAME" --home-dir "/var/lib/$NAME" --no-create-home --shell "$NOLOGIN" \
        --comment "$NAME daemon" "$NAME"
    usermod -a -G dialout,input "$NAME"
  fi
  say "user $NAME (system, no login, groups dialout input)"
}
remove_user() {
  if [ -n "$ROOT" ]; then
    for g in dialout input; do root_group_member "$g" del; done
    for f in passwd group; do grep -v "^$NAME:" "$ROOT/etc/$f" >"$ROOT/etc/$f.new" || true; mv "$ROOT/etc/$f.new" "$ROOT/etc/$f"; done
  else
    if id -u "$NAME" >/dev/null 2>&1; then userdel "$NAME"; fi
    if getent group "$NAME" >/dev/null; then groupdel "$NAME"; fi
  fi
  say "removed user and group $NAME"
}

# chown by name on a real system; under --root by the ids written into DIR/etc (only possible as root).
own() { # $1 user:group, $2 path
  if [ -z "$ROOT" ]; then chown "$1" "$2"; return; fi
  [ "$(id -u)" -eq 0 ] || return 0
  local u="${1%%:*}" g="${1##*:}" uid gid
  uid="$(awk -F: -v n="$u" '$1 == n { print $3 }' "$ROOT/etc/passwd")"; [ "$u" = root ] && uid=0
  gid="$(awk -F: -v n="$g" '$1 == n { print $3 }' "$ROOT/etc/group")"; [ "$g" = root ] && gid=0
  chown "$uid:$gid" "$2"
}
put() { # $1 source, $2 destination, $3 mode: copy only when different, so reruns report "unchanged"
  mkdir -p "$(dirname "$2")"
  if [ -f "$2" ] && cmp -s "$1" "$2"; then say "unchanged ${2#"$ROOT"}"; else install -m "$3" "$1" "$2"; say "wrote ${2#"$ROOT"}"; fi
  chmod "$3" "$2"; own root:root "$2"
}
reload_units() {
  if have_systemd; then systemctl daemon-reload; else say "skip: systemctl daemon-reload (no running systemd)"; fi
  if have_udev; then
    udevadm control --reload-rules && udevadm trigger --subsystem-match=tty --action=change ||
      say "warning: udev reload failed (udevd not running?); the rules apply from the next boot"
  else say "skip: udevadm control --reload-rules"; fi
}

install_all() {
  ensure_user

  mkdir -p "$ETC"; chmod 0755 "$ETC"; own root:root "$ETC"
  if [ -n "$CONFIG_SRC" ] && [ -e "$ETC/config.yaml" ]; then
    say "warning: keeping the existing /etc/$NAME/config.yaml; --config $CONFIG_SRC was not copied"
  elif [ -n "$CONFIG_SRC" ]; then
    install -m 0640 "$CONFIG_SRC" "$ETC/config.yaml"; say "wrote /etc/$NAME/config.yaml from $CONFIG_SRC"
  fi
  if [ -e "$ETC/config.yaml" ]; then chmod 0640 "$ETC/config.yaml"; own "root:$NAME" "$ETC/config.yaml"
  else say "note: no /etc/$NAME/config.yaml yet; the service exits with code 78 until one exists"; fi
  if [ ! -e "$ETC/env" ]; then
    printf '%s\n' "# Read by systemd (EnvironmentFile=) when $NAME starts; mode 0600 root:root." \
      "# Set the key, then: systemctl restart $NAME" "#IONWORKS_API_KEY=" >"$ETC/env"
    say "wrote /etc/$NAME/env (add IONWORKS_API_KEY)"
  fi
  chmod 0600 "$ETC/env"; own root:root "$ETC/env"

  mkdir -p "$STATE"; chmod 0750 "$STATE"; own "$NAME:$NAME" "$STATE"
  mkdir -p "$OPT/releases"

  put "$APP_DIR/systemd/$NAME.service" "$UNIT" 0644
  put "$APP_DIR/systemd/60-$NAME.rules" "$RULES" 0644
  # DeviceAllow=char-ttyUSB/char-ttyACM resolve through /proc/devices when the service starts; the drivers
  # register those names only once loaded, so load them at boot rather than at the first plug-in.
  local mods; mods="$(mktemp)"
  printf '%s\n' "# $NAME: register ttyUSB/ttyACM before the service starts (see its DeviceAllow=)" usbserial cdc_acm >"$mods"
  put "$mods" "$MODULES" 0644; rm -f "$mods"
  # The CLI on the PATH, for the admin beside the service (`sudo -u ionworks-edge ionworks-edge queue stats`).
  local cli; cli="$(mktemp)"
  printf '%s\n' '#!/bin/sh' "# $NAME CLI, installed by install.sh: the release /opt/$NAME/current points at." \
    "exec /usr/bin/node /opt/$NAME/current/dist/cli/main.js \"\$@\"" >"$cli"
  put "$cli" "$CLI" 0755; rm -f "$cli"
  sys modprobe -a usbserial cdc_acm || say "warning: modprobe usbserial cdc_acm failed; they load at the next boot"

  if [ ! -e "$BRLTTY_MASK" ] && { [ -e "$ROOT/lib/udev/rules.d/85-brltty.rules" ] || [ -e "$ROOT/usr/lib/udev/rules.d/85-brltty.rules" ]; }; then
    mkdir -p "$(dirname "$BRLTTY_MASK")"; echo "$BRLTTY_MARK" >"$BRLTTY_MASK"; say "masked brltty's udev rules"
  fi

  case "$APP_DIR" in
    "$OPT/releases/"*)
      ln -sfn "releases/$(basename "$APP_DIR")" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
      say "current -> releases/$(basename "$APP_DIR")" ;;
    *) say "note: run from $APP_DIR, not $OPT/releases/<version>: /opt/$NAME/current left as it is" ;;
  esac
  [ -e "$OPT/current/dist/cli/main.js" ] || say "warning: /opt/$NAME/current/dist/cli/main.js is missing; unpack a release first"
  if [ -z "$ROOT" ]; then
    [ -x /usr/bin/node ] || say "warning: /usr/bin/node is missing; the unit runs it (Node 20 or 22)"
  fi

  reload_units
  if have_systemd; then systemctl enable "$NAME.service"; else say "skip: systemctl enable $NAME.service"; fi
  say "installed; start with: systemctl start $NAME && journalctl -u $NAME -f"
}

uninstall_all() {
  if have_systemd; then systemctl disable --now "$NAME.service" || true; else say "skip: systemctl disable --now $NAME.service"; fi
  rm -f "$UNIT" "$RULES" "$MODULES" "$CLI"
  if [ -f "$BRLTTY_MASK" ] && [ "$(cat "$BRLTTY_MASK")" = "$BRLTTY_MARK" ]; then rm -f "$BRLTTY_MASK"; fi
  say "removed the unit, udev rules, module list and /usr/local/bin/$NAME"
  reload_units
  if [ "$MODE" = purge ]; then
    rm -rf "$ETC" "$STATE" "$OPT"
    say "purged /etc/$NAME, /var/lib/$NAME (the outbox) and /opt/$NAME"
    remove_user
  else
    say "kept /etc/$NAME, /var/lib/$NAME (the outbox), /opt/$NAME and user $NAME; --purge removes them"
  fi
}

if [ "$MODE" = install ]; then install_all; else uninstall_all; fi
