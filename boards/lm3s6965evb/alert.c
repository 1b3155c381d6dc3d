/*
 * alert.c — the example: send one alert with pinmail's firmware API.
 * Everything it needs is configured at build time (pinmail_config.h).
 */
#include "pm_client.h"
#include "pm_lwip.h"
#include "board.h"
#include "alert.h"
#include "pinmail_config.h"

static pm_client mail;      /* the whole submission: TLS buffers, pins, SMTP */
static pm_lwip net;         /* its lwIP connection */
static pm_tls_cache session;    /* the TLS session, resumed next time */

static const char *const rcpt[] = { PINMAIL_RCPTS };
static const char message[] =
	"From: " PINMAIL_FROM "\r\n"
	"To: " PINMAIL_TO "\r\n"
	"Subject: " PINMAIL_SUBJECT "\r\n"
	"\r\n"
	PINMAIL_BODY;

static void trace(void *ctx, char dir, const char *line, size_t len)
{
	(void)ctx;
	board_printf("  %c: ", dir);
	board_puts(line, len);
	board_puts("\n", 1);
}

int alert_send(pm_client_outcome *o)
{
	static const pm_client_conf conf = {
		.host = PINMAIL_HOST, .connect_to = PINMAIL_ADDR, .port = PINMAIL_PORT,
		.tlsa = PINMAIL_TLSA, .user = PINMAIL_USER, .password = PINMAIL_PASSWORD,
		.helo = PINMAIL_HELO, .from = PINMAIL_FROM,
		.rcpt = rcpt, .nrcpt = sizeof rcpt / sizeof rcpt[0],
		.msg = (const uint8_t *)message, .msg_len = sizeof message - 1,
		.timeout_ms = PINMAIL_TIMEOUT_MS, .trace = PINMAIL_TRACE ? trace : NULL,
		.session = &session,
	};
	int phase, last = 0;

	pm_client_start(&mail, &conf, &pm_lwip_port, pm_lwip_init(&net, &mail));
	while ((phase = pm_client_poll(&mail)) != PM_CLIENT_DONE) {
		if (phase != last)
			board_printf("pinmail: %s (%lu ms)\n", pm_client_phase_name(phase),
				(unsigned long)board_ms());
		last = phase;
		board_poll();
	}
	if (pm_client_result(&mail, o) == PM_OK)
		board_printf("pinmail: delivered: %s\n", o->reply_text);
	else
		board_printf("pinmail: not delivered: %s (%s) %s\n", pm_client_strerror(o->err),
			o->stage, o->reply_text);
	return o->err;
}
