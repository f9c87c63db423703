#!/usr/bin/env bash
# `make demo`: start a sandboxed supervisord with sample programs in ./.sandbox,
# write a poolvisor config for it, and open `poolvisor console` on it.
# Everything stays inside ./.sandbox; nothing on the host is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.sandbox"
mkdir -p "$dir"

bin/poolvisor-sandbox down --dir "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"   # every demo starts from the same sample programs and pools
mkdir -p "$dir"
eval "$(bin/poolvisor-sandbox up --dir "$dir")"
trap 'bin/poolvisor-sandbox down --dir "$dir" >/dev/null 2>&1 || true' EXIT
url=$SUPERVISOR_URL

me=$(id -un)
cat > "$dir/poolvisor.yaml" <<YAML
# Written by scripts/demo.sh for the sandbox in $dir.
host: demo
data_dir: $dir/data
listen: ""
phpfpm:
  version: "$FPM_VERSION"
  binary: $FPM_BINARY
  main_config: $FPM_MAIN_CONFIG
  pool_dir: $FPM_POOL_DIR
  socket_dir: $FPM_SOCKET_DIR
  protected_pools: [www]
  defaults: {user: $FPM_USER, group: $FPM_GROUP}
  service: {mode: signal, pid_file: $FPM_PID_FILE}
supervisor:
  url: $url
  config_file: $SUPERVISOR_CONFIG
  program_dir: $PROGRAM_DIR
  log_dir: $LOG_DIR
local:
  allow_impersonation: true   # so you can try approvals as several people
rbac:
  bindings:
    - role: admin
      local_users: [$me, bob]
    - role: operator
      local_users: [olga]
    - role: viewer
      local_users: [vic]
YAML

cat <<MSG

poolvisor demo: supervisord sandbox at $url, php-fpm $FPM_VERSION sandbox with pools www and shop
Config: $dir/poolvisor.yaml  (you are "$me", an admin; bob is another admin, olga an operator, vic a viewer)

Try:  supervisor status
      supervisor logs queue:queue_00
      supervisor start flaky            (fails, and says why)
      supervisor restart queue:*        (needs a second person's approval)
      supervisor edit reports --set startsecs=3 --plan
                                        (a program in a panel's shared file, conf.d/site-482913.conf)
      fpm pools
      fpm pool create api --preset small
      fpm status
Then, in another terminal:
      bin/poolvisor exec --config $dir/poolvisor.yaml --as bob -- ops approvals
      bin/poolvisor exec --config $dir/poolvisor.yaml --as bob -- ops approve ID
Type exit to leave; the sandbox stops with the console.

MSG
# The console exits with its last command's status (SPEC §2): a demo that
# ends after a refused command is still a demo that worked.
bin/poolvisor console --config "$dir/poolvisor.yaml" || true
