/*
 * main.c — boot the lm3s6965evb firmware: bring the network up, send the
 * alert (alert.c), report, and end the QEMU run with the outcome as exit
 * status (0: delivered; else pinmail's PM_ERR_* code, or BOARD_EXIT_*).
 */
#include <stdint.h>
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/ip4_addr.h"
#include "netif/ethernet.h"
#include "pm_client.h"
#include "pm_lwip.h"
#include "board.h"
#include "alert.h"
#include "pinmail_config.h"

#define DHCP_WAIT_MS 10000u

static struct netif enet;

struct netif *board_netif(void)
{
	return &enet;
}

/* The board's entropy: the emulator's host. A real board reads its
 * hardware RNG here (see README.md). */
int pm_board_entropy(uint8_t *buf, size_t len)
{
	return board_host_entropy(buf, len);
}

/* Trustworthy time only when the build says the host clock is trusted. */
uint64_t pm_board_unix_time(void)
{
	return PINMAIL_CLOCK_HOST ? board_host_time() : 0;
}

static int net_up(void)
{
	ip4_addr_t ip, mask, gw;
	uint32_t t0;

	ip4_addr_set_zero(&ip);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (PINMAIL_IP != NULL && (!ip4addr_aton(PINMAIL_IP, &ip)
		|| !ip4addr_aton(PINMAIL_NETMASK, &mask) || !ip4addr_aton(PINMAIL_GW, &gw))) {
		board_printf("net: bad PINMAIL_IP, PINMAIL_NETMASK or PINMAIL_GW\n");
		return -1;
	}
	netif_add(&enet, &ip, &mask, &gw, NULL, enet_init, ethernet_input);
	netif_set_default(&enet);
	netif_set_up(&enet);
	netif_set_link_up(&enet);
	board_printf("net: mac %02x:%02x:%02x:%02x:%02x:%02x\n", enet.hwaddr[0],
		enet.hwaddr[1], enet.hwaddr[2], enet.hwaddr[3], enet.hwaddr[4], enet.hwaddr[5]);
	if (PINMAIL_IP == NULL) {
		dhcp_start(&enet);
		for (t0 = board_ms(); !dhcp_supplied_address(&enet); board_poll())
			if (board_ms() - t0 > DHCP_WAIT_MS) {
				board_printf("net: no DHCP lease within %u s\n",
					DHCP_WAIT_MS / 1000);
				return -1;
			}
	}
	board_printf("net: %s (%s) after %lu ms", ip4addr_ntoa(netif_ip4_addr(&enet)),
		PINMAIL_IP == NULL ? "DHCP" : "static", (unsigned long)board_ms());
	board_printf(", gateway %s", ip4addr_ntoa(netif_ip4_gw(&enet)));
	board_printf(", DNS %s\n", ipaddr_ntoa(dns_getserver(0)));
	return 0;
}

static void hex(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		board_printf("%02x", *p++);
}

int main(void)
{
	pm_client_outcome o;
	int err = 0, i;

	board_init();
	board_printf("\npinmail firmware, lm3s6965evb: to %s port %u\n", PINMAIL_HOST,
		(unsigned)PINMAIL_PORT);
	lwip_init();
	if (net_up() != 0)
		return BOARD_EXIT_NO_NETWORK;

	for (i = 0; i < PINMAIL_SENDS; i++) {
		err = alert_send(&o);
		if (o.pin >= 0)
			board_printf("pinmail: server authenticated by tlsa record %d%s\n",
				o.pin + 1, o.resumed ? " (TLS session resumed)" : "");
		else if (o.presented != NULL) {
			board_printf("pinmail: the server's key is \"3 1 1 ");
			hex(o.presented, 32);
			board_printf("\"\n");
		}
		if (err == PM_ERR_TLSA_SYNTAX)
			board_printf("pinmail: PINMAIL_TLSA: %s\n", o.why);
		if (o.tls_err != 0)
			board_printf("pinmail: BearSSL error %d\n", o.tls_err);
		board_printf("time: connect %lu ms, TLS handshake %lu ms, total %lu ms\n",
			(unsigned long)o.ms_connect, (unsigned long)o.ms_handshake,
			(unsigned long)o.ms_total);
		if (err != 0)
			break;
	}
	board_printf("stack: peak %u of %u bytes\n", (unsigned)board_stack_peak(),
		(unsigned)board_stack_size());
	board_printf("exit %d\n", err);
	return err;
}
