<?php
// poolvisor's OPcache helper. poolvisor installs this file (root's, 0644, in
// a root-owned 0755 directory of its own, never in a web root), checks and
// rewrites it before each use, and runs it through a pool's FastCGI socket
// with SCRIPT_FILENAME set to it: no web server reaches it. It prints a few
// figures of opcache_get_status(false) as JSON and nothing else; asked by
// poolvisor (a FastCGI parameter an HTTP client cannot set), it first calls
// opcache_reset().
header('Content-Type: application/json');
header('Cache-Control: no-store');
$out = array('helper' => 1);
if (!function_exists('opcache_get_status')) {
    $out['error'] = 'unavailable';
    echo json_encode($out);
    return;
}
$action = isset($_SERVER['POOLVISOR_OPCACHE_ACTION']) ? $_SERVER['POOLVISOR_OPCACHE_ACTION'] : 'status';
if ($action === 'reset') {
    $out['reset'] = function_exists('opcache_reset') && @opcache_reset();
}
$s = @opcache_get_status(false);
if (!is_array($s)) {
    $restricted = (string) ini_get('opcache.restrict_api');
    $out['error'] = $restricted !== '' ? 'restricted' : 'disabled';
    echo json_encode($out);
    return;
}
$m = isset($s['memory_usage']) ? $s['memory_usage'] : array();
$st = isset($s['opcache_statistics']) ? $s['opcache_statistics'] : array();
$in = isset($s['interned_strings_usage']) ? $s['interned_strings_usage'] : array();
$int = function ($a, $k) { return isset($a[$k]) ? (int) $a[$k] : 0; };
$out['enabled'] = !empty($s['opcache_enabled']);
$out['cache_full'] = !empty($s['cache_full']);
$out['restart_pending'] = !empty($s['restart_pending']);
$out['used'] = $int($m, 'used_memory');
$out['free'] = $int($m, 'free_memory');
$out['wasted'] = $int($m, 'wasted_memory');
$out['wasted_pct'] = isset($m['current_wasted_percentage']) ? (float) $m['current_wasted_percentage'] : 0.0;
$out['hit_rate'] = isset($st['opcache_hit_rate']) ? (float) $st['opcache_hit_rate'] : 0.0;
$out['hits'] = $int($st, 'hits');
$out['misses'] = $int($st, 'misses');
$out['scripts'] = $int($st, 'num_cached_scripts');
$out['keys'] = $int($st, 'num_cached_keys');
$out['max_keys'] = $int($st, 'max_cached_keys');
$out['oom_restarts'] = $int($st, 'oom_restarts');
$out['hash_restarts'] = $int($st, 'hash_restarts');
$out['manual_restarts'] = $int($st, 'manual_restarts');
$out['interned_used'] = $int($in, 'used_memory');
$out['interned_free'] = $int($in, 'free_memory');
$out['interned_strings'] = $int($in, 'number_of_strings');
echo json_encode($out);
