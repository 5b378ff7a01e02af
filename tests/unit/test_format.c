/* test_format.c - byte sizes, times, flags and names as humans read them. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/mman.h>

#include "replay/format.h"

static void test_bytes(void **state)
{
	(void)state;
	char b[FMT_MAX];
	assert_string_equal(fmt_bytes(b, 0), "0 B");
	assert_string_equal(fmt_bytes(b, 517), "517 B");
	assert_string_equal(fmt_bytes(b, 1023), "1023 B");
	assert_string_equal(fmt_bytes(b, 1024), "1.0 KB");
	assert_string_equal(fmt_bytes(b, 1434), "1.4 KB");
	assert_string_equal(fmt_bytes(b, 132 * 1024), "132.0 KB");
	assert_string_equal(fmt_bytes(b, 8 * 1024 * 1024), "8.0 MB");
	assert_string_equal(fmt_bytes(b, 1024 * 1024 - 1), "1.0 MB");
	assert_string_equal(fmt_bytes(b, 1048063), "1023.5 KB");
	assert_string_equal(fmt_bytes(b, 3ull << 30), "3.0 GB");
	assert_string_equal(fmt_bytes(b, UINT64_MAX), "16.0 EB");
	assert_string_equal(fmt_bytes_signed(b, 132 * 1024), "+132.0 KB");
	assert_string_equal(fmt_bytes_signed(b, -8192), "-8.0 KB");
	assert_string_equal(fmt_bytes_signed(b, INT64_MIN), "-8.0 EB");
	assert_string_equal(fmt_count(b, 0), "0");
	assert_string_equal(fmt_count(b, 999), "999");
	assert_string_equal(fmt_count(b, 1024), "1,024");
	assert_string_equal(fmt_count(b, 1000000), "1,000,000");
	assert_string_equal(fmt_count(b, UINT64_MAX), "18,446,744,073,709,551,615");
}

static void test_times(void **state)
{
	(void)state;
	char b[FMT_MAX];
	assert_string_equal(fmt_ts(b, 0), "+0.000s");
	assert_string_equal(fmt_ts(b, 3456789), "+0.003s");
	assert_string_equal(fmt_ts(b, 12345678901ull), "+12.345s");
	assert_string_equal(fmt_runtime(b, 340000000), "0.34s");
	assert_string_equal(fmt_runtime(b, 12500000000ull), "12.5s");
	assert_string_equal(fmt_runtime(b, 123000000000ull), "2m03s");
	assert_string_equal(fmt_runtime(b, 3720000000000ull), "1h02m");
	assert_string_equal(fmt_latency(b, 850), "850 ns");
	assert_string_equal(fmt_latency(b, 12345), "12 µs");
	assert_string_equal(fmt_latency(b, 1234567), "1.2 ms");
	assert_string_equal(fmt_latency(b, 3400000000ull), "3.40 s");
}

static void test_flags(void **state)
{
	(void)state;
	char b[FMT_MAX];
	assert_string_equal(fmt_prot(b, PROT_READ | PROT_WRITE), "rw-");
	assert_string_equal(fmt_prot(b, PROT_READ | PROT_EXEC), "r-x");
	assert_string_equal(fmt_prot(b, 0), "---");
	assert_string_equal(fmt_open_flags(b, O_RDONLY | O_CLOEXEC), "O_RDONLY|O_CLOEXEC");
	assert_string_equal(fmt_open_flags(b, O_WRONLY | O_CREAT | O_TRUNC),
			    "O_WRONLY|O_CREAT|O_TRUNC");
	assert_string_equal(fmt_mmap_flags(b, MAP_PRIVATE | MAP_ANONYMOUS),
			    "MAP_PRIVATE|MAP_ANONYMOUS");
	assert_string_equal(fmt_open_access(O_RDONLY), "read");
	assert_string_equal(fmt_open_access(O_WRONLY | O_CREAT), "write");
	assert_string_equal(fmt_open_access(O_RDWR), "read-write");
	assert_string_equal(fmt_open_access(O_PATH), "path");
}

static void test_names(void **state)
{
	(void)state;
	char b[FMT_MAX];
	assert_string_equal(fmt_signal(b, 9), "SIGKILL");
	assert_string_equal(fmt_signal(b, 36), "SIGRTMIN+2");
	assert_string_equal(fmt_signal(b, 99), "SIG99");
	assert_string_equal(fmt_errno(b, 2), "ENOENT");
	assert_string_equal(fmt_errno(b, 4000), "E4000");
	assert_string_equal(fmt_errno(b, 512), "ERESTARTSYS");
	assert_string_equal(fmt_errno(b, 516), "ERESTART_RESTARTBLOCK");
	assert_string_equal(fmt_errno(b, 517), "E517");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
