package sandbox

// DemoPrograms returns the programs of `make demo`: a stand-in for a Laravel
// deployment's processes, including one that fails.
func DemoPrograms() []Program {
	no := false
	return []Program{
		{
			Name:    "web-assets",
			Command: `/bin/sh -c "while true; do sleep 3600; done"`,
		},
		{
			Name:     "queue",
			NumProcs: 3,
			Command: `/bin/sh -c "while true; do echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Processing: App\\Jobs\\SendInvoice\"; ` +
				`sleep 2; echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Processed:  App\\Jobs\\SendInvoice\"; sleep 3; done"`,
		},
		{
			Name:    "scheduler",
			Command: `/bin/sh -c "while true; do echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Running scheduled command: php artisan schedule:run\"; sleep 60; done"`,
		},
		{
			Name:      "flaky",
			Autostart: &no,
			Command:   `/bin/sh -c "echo 'PHP Fatal error: Uncaught RuntimeException: connection refused' >&2; exit 1"`,
		},
	}
}

// DemoPools returns the PHP-FPM pools of `make demo`: the stock www pool
// and a shop pool with a status page.
func DemoPools() []Pool {
	return []Pool{
		{Name: "www", PM: "static", MaxChildren: 2, StatusPath: "/status"},
		{Name: "shop", PM: "dynamic", MaxChildren: 4, StatusPath: "/status", PingPath: "/ping"},
	}
}
