#!/usr/bin/env bash
# make demo-fleet: fleet mode on one machine. A NATS server (Debian's
# nats-server, with deploy/nats/nats-server.conf as shipped: nkeys and
# per-host permissions, TLS left out on loopback), three agents — web-01
# (supervisord and php-fpm), web-02 and worker-01 (supervisord), each on its
# own sandbox in ./.sandbox-fleet — and a console on the hub's config.
# Everything stops when you leave the console.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.sandbox-fleet"
hosts=(web-01 web-02 worker-01)
nats_port=${NATS_PORT:-14222}
PATH=$PATH:/usr/sbin

stop() {
  [ -f "$dir/pids" ] && xargs -r kill 2>/dev/null < "$dir/pids" || true
  for h in "${hosts[@]}"; do bin/poolvisor-sandbox down --dir "$dir/$h" >/dev/null 2>&1 || true; done
}
[ -d "$dir" ] && stop
rm -rf "$dir" && mkdir -p "$dir"
trap stop EXIT

# Keys: the hub's signing key, each agent's own signing key (the hub pins
# their public halves), and a NATS nkey for each of the four.
hubpub=$(bin/poolvisor keygen --out "$dir/hub.key")
pins=""
for h in "${hosts[@]}"; do
  pins="$pins${pins:+, }$h: $(bin/poolvisor keygen --out "$dir/$h.key")"
done
conf=$(sed -e '/^tls {/,/^}/d' -e "s/^listen: .*/listen: 127.0.0.1:$nats_port/" deploy/nats/nats-server.conf)
for who in hub "${hosts[@]}"; do
  nkey=$(bin/poolvisor keygen --nats --out "$dir/$who.seed")
  placeholder="REPLACE_WITH_$(echo "$who" | tr 'a-z-' 'A-Z_')_NKEY"
  conf=${conf//$placeholder/$nkey}
done
printf '%s\n' "$conf" > "$dir/nats-server.conf"
nats-server -c "$dir/nats-server.conf" > "$dir/nats.log" 2>&1 &
echo $! >> "$dir/pids"

me=$(id -un)
port=18081
for h in "${hosts[@]}"; do
  mkdir -p "$dir/$h"
  eval "$(bin/poolvisor-sandbox up --dir "$dir/$h")"
  fpm="phpfpm: {enabled: false}"
  if [ "$h" = web-01 ]; then
    fpm="phpfpm:
  version: \"$FPM_VERSION\"
  binary: $FPM_BINARY
  main_config: $FPM_MAIN_CONFIG
  pool_dir: $FPM_POOL_DIR
  socket_dir: $FPM_SOCKET_DIR
  protected_pools: [www]
  defaults: {user: $FPM_USER, group: $FPM_GROUP}
  service: {mode: signal, pid_file: $FPM_PID_FILE}"
  fi
  cat > "$dir/$h/agent.yaml" <<YAML
host: $h
mode: agent
data_dir: $dir/$h/data
listen: 127.0.0.1:$port
nats: {url: "nats://127.0.0.1:$nats_port", credentials_file: $dir/$h.seed}
fleet: {hub_public_key: "$hubpub", agent_key_file: $dir/$h.key}
default_host: $h
$fpm
supervisor:
  url: $SUPERVISOR_URL
  config_file: $SUPERVISOR_CONFIG
  program_dir: $PROGRAM_DIR
  log_dir: $LOG_DIR
alerts: {enabled: true}
YAML
  bin/poolvisor serve --config "$dir/$h/agent.yaml" > "$dir/$h/agent.log" 2>&1 &
  echo $! >> "$dir/pids"
  port=$((port + 1))
done

cat > "$dir/hub.yaml" <<YAML
host: hub
mode: hub
data_dir: $dir/hub-data
listen: ""
nats: {url: "nats://127.0.0.1:$nats_port", credentials_file: $dir/hub.seed}
fleet: {hub_key_file: $dir/hub.key, request_timeout: 2s, agent_keys: {$pins}}
default_host: web-01
host_groups: {web: [web-01, web-02], workers: [worker-01]}
supervisor: {enabled: false}
phpfpm: {enabled: false}
local: {allow_impersonation: true}
rbac:
  bindings:
    - {role: admin, local_users: [$me, bob]}
    - {role: operator, local_users: [olga]}
    - {role: viewer, local_users: [vic]}
YAML

# Wait until every agent answers through the hub.
for _ in $(seq 50); do
  if bin/poolvisor exec --config "$dir/hub.yaml" -- supervisor status --host all >/dev/null 2>&1; then break; fi
  sleep 0.2
done

cat <<MSG

poolvisor fleet demo: a hub and three agents (web-01 with php-fpm, web-02, worker-01)
over nats-server on 127.0.0.1:$nats_port with the deployed permissions.
Hub config: $dir/hub.yaml  (you are "$me", an admin; bob is another admin, olga an operator)

Try:  ops hosts
      supervisor status --host all
      fpm pools                             (the default host, web-01)
      supervisor restart scheduler --host web-02   (needs a second person's approval)
      supervisor stop queue:* --host web    (a whole group: always through approval)
Then, in another terminal:
      bin/poolvisor exec --config $dir/hub.yaml --as bob -- ops approve ID
      kill \$(pgrep -f web-02/agent.yaml)   and see web-02 named unreachable
Type exit to leave; everything stops with the console.

MSG
bin/poolvisor console --config "$dir/hub.yaml"
