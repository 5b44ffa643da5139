// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-check: can the devmem tools observe this host, and if not, why
 * not. One line per piece they need (architecture, BTF, privileges, the
 * kernel's CONFIG_DEVICE_PRIVATE, the tracepoints or the fallback's
 * functions, a trial load of the programs, device memory present, the
 * drivers loaded), then one sentence per missing piece with its remedy.
 * The kernel is probed as the tools probe it (kernel/host_facts.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "cli/errors.h"
#include "kernel/host_facts.h"
#include "render/host_check.h"

static const char doc[] =
"Check whether the devmem tools can observe this host, and say what is\n"
"missing and what to do where they cannot.\n"
"\n"
"EXAMPLES:\n"
"    sudo devmem-check                  # every check, as the tools probe\n"
"    devmem-check                       # without root: what BTF and files say\n"
"    sudo devmem-check --config /boot/config-6.12.0\n"
"                                       # read CONFIG_DEVICE_PRIVATE there\n"
"\v"
"Lines: architecture, BTF, privileges, DEVICE_PRIVATE (from the kernel's\n"
"config: /proc/config.gz, /boot/config-RELEASE or /lib/modules/RELEASE),\n"
"tracepoints, fallback (the fentry/fexit functions that attach), programs\n"
"(a trial load and attach of the tools' range programs), ranges (device\n"
"memory present now) and drivers (nouveau, amdgpu, xe, nvidia_uvm,\n"
"test_hmm, devmem_testdrv). STATUS is ok, missing, unknown (could not be\n"
"told here) or absent (not there, and not needed).\n"
"\n"
"Exit status: 0 when every piece is there; else the code the tools exit\n"
"with for the first piece that stops them (3 privileges, 4 BTF, 5 no hook,\n"
"13 hooks refused, 7 to 9 the trial load), or 17 when nothing is there to\n"
"observe (no DEVICE_PRIVATE, no device memory).";

enum { OPT_CONFIG = 0x200 };

static const struct argp_option check_options[] = {
	{ "config", OPT_CONFIG, "FILE", 0,
	  "Read CONFIG_DEVICE_PRIVATE from this kernel config (plain or gzip)", 0 },
	{ 0 },
};

static const char *config_path;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	if (key != OPT_CONFIG)
		return ARGP_ERR_UNKNOWN;
	config_path = arg;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { check_options, parse_opt, "", doc, NULL, NULL, NULL };
	struct devmem_cli cli;
	struct devmem_host_facts facts;
	struct devmem_host_check check;

	devmem_cli_init(&cli, "devmem-check", 0);
	devmem_cli_parse(&cli, &argp, argc, argv);
	if (config_path && !*config_path)
		devmem_cli_usage_error(&cli, "--config wants the path of a kernel config");
	devmem_host_facts_gather(&facts, config_path, cli.verbose);
	devmem_host_check_judge(&facts, &check);
	devmem_host_check_print(stdout, &check);
	if (fflush(stdout)) {
		fprintf(stderr, "devmem-check: writing the output failed.\n");
		return DEVMEM_EXIT_FAILURE;
	}
	return check.exit_code;
}
