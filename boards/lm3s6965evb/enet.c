/*
 * enet.c — lwIP netif driver for the LM3S6965's ethernet controller, as the
 * data sheet describes it and QEMU's stellaris_enet models it.
 *
 * The MAC has one 2 KB FIFO each way, read and written a 32-bit word at a
 * time through MACDATA:
 *   receive:  a 2-byte little-endian length (frame + 6: the length field
 *             itself and the 4-byte FCS), the frame, the FCS; MACNP counts
 *             the frames waiting;
 *   transmit: a 2-byte length of the payload (the frame without its 14-byte
 *             header), then the frame; writing NEWTX to MACTR sends it.
 * With lwIP's ETH_PAD_SIZE = 2 the two pad bytes before each frame sit
 * exactly where the FIFO puts the length, so a pbuf maps onto the FIFO
 * word for word, and the IP header lands word-aligned.
 *
 * No DMA: frames are copied by the CPU, which at 1 Mbit/s of SMTP is
 * nothing. Received frames are polled from the superloop (board_poll);
 * the receive interrupt only wakes the CPU from WFI.
 */
#include <stdint.h>
#include <string.h>
#include "lwip/opt.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "board.h"

#if ETH_PAD_SIZE != 2
#error "enet.c maps the FIFO's length field onto ETH_PAD_SIZE == 2"
#endif

#define REG(a) (*(volatile uint32_t *)(a))
#define MAC_BASE     0x40048000u
#define MAC_RIS      REG(MAC_BASE + 0x00)   /* read: status; write: IACK */
#define MAC_IM       REG(MAC_BASE + 0x04)
#define MAC_RCTL     REG(MAC_BASE + 0x08)
#define MAC_TCTL     REG(MAC_BASE + 0x0c)
#define MAC_DATA     REG(MAC_BASE + 0x10)
#define MAC_IA0      REG(MAC_BASE + 0x14)
#define MAC_IA1      REG(MAC_BASE + 0x18)
#define MAC_NP       REG(MAC_BASE + 0x34)
#define MAC_TR       REG(MAC_BASE + 0x38)

#define INT_RX       0x01u
#define RCTL_RXEN    0x01u
#define RCTL_AMUL    0x02u
#define RCTL_BADCRC  0x08u
#define RCTL_RSTFIFO 0x10u
#define TCTL_TXEN    0x01u
#define TCTL_PADEN   0x02u
#define TCTL_CRC     0x04u
#define TCTL_DUPLEX  0x08u
#define TR_NEWTX     0x01u

#define SYSCTL_RCGC2 REG(0x400fe108u)
#define SYSCTL_USER0 REG(0x400fe1e0u)
#define SYSCTL_USER1 REG(0x400fe1e4u)
#define NVIC_ISER1   REG(0xe000e104u)
#define ENET_IRQ     42

#define FRAME_MAX    1514           /* without FCS */

void Ethernet_Handler(void)
{
	/* Only wakes the superloop; enet_poll drains the FIFO. */
	MAC_RIS = INT_RX;
}

/* Write the bytes of a pbuf chain as FIFO words. */
static err_t enet_output(struct netif *netif, struct pbuf *p)
{
	const struct pbuf *q;
	uint32_t word = 0;
	unsigned fill = 0, i;
	size_t off = 0;
	uint16_t payload;
	uint8_t b;

	(void)netif;
	if (p->tot_len > FRAME_MAX + ETH_PAD_SIZE || p->tot_len < ETH_PAD_SIZE + 14)
		return ERR_BUF;
	payload = (uint16_t)(p->tot_len - ETH_PAD_SIZE - 14);
	while (MAC_TR & TR_NEWTX)
		;                       /* the previous frame is still going */
	for (q = p; q != NULL; q = q->next) {
		for (i = 0; i < q->len; i++, off++) {
			/* The pad bytes carry the payload length. */
			b = off == 0 ? (uint8_t)payload : off == 1
				? (uint8_t)(payload >> 8) : ((const uint8_t *)q->payload)[i];
			word |= (uint32_t)b << (8 * fill);
			if (++fill == 4) {
				MAC_DATA = word;
				word = 0;
				fill = 0;
			}
		}
	}
	if (fill != 0)
		MAC_DATA = word;
	MAC_TR = TR_NEWTX;
	return ERR_OK;
}

/* Read one frame from the FIFO into a pool pbuf (NULL: dropped). */
static struct pbuf *enet_read(void)
{
	uint32_t word = MAC_DATA;
	unsigned total = word & 0xffffu;   /* length field + frame + FCS */
	unsigned frame, words, w, k, off = 0;
	struct pbuf *p = NULL, *q;
	size_t qoff = 0;

	frame = total >= 6 ? total - 6 : 0;
	words = (total + 3) / 4;
	if (frame >= 14 && frame <= FRAME_MAX)
		p = pbuf_alloc(PBUF_RAW, (u16_t)(frame + ETH_PAD_SIZE), PBUF_POOL);
	q = p;
	for (w = 0; w < words; w++) {
		if (w > 0)
			word = MAC_DATA;
		for (k = 0; k < 4 && q != NULL; k++, off++) {
			if (off >= frame + ETH_PAD_SIZE) {
				q = NULL;       /* the FCS and padding: not kept */
				break;
			}
			((uint8_t *)q->payload)[qoff] = (uint8_t)(word >> (8 * k));
			if (++qoff == q->len) {
				q = q->next;
				qoff = 0;
			}
		}
	}
	return p;
}

void enet_poll(struct netif *netif)
{
	struct pbuf *p;

	while (MAC_NP != 0) {
		p = enet_read();
		if (p != NULL && netif->input(p, netif) != ERR_OK)
			pbuf_free(p);
	}
}

int8_t enet_init(struct netif *netif)
{
	uint32_t u0, u1;

	SYSCTL_RCGC2 |= (1u << 28) | (1u << 30);       /* EMAC0, EPHY0 */
	(void)SYSCTL_RCGC2;
	/* The MAC address is programmed in the flash user registers; a blank
	 * part (all ones) keeps whatever the controller holds. */
	u0 = SYSCTL_USER0;
	u1 = SYSCTL_USER1;
	if (u0 != 0xffffffffu && u1 != 0xffffffffu && (u0 | u1) != 0) {
		MAC_IA0 = (u0 & 0xffffffu) | (u1 & 0xffu) << 24;
		MAC_IA1 = (u1 >> 8) & 0xffffu;
	}
	u0 = MAC_IA0;
	u1 = MAC_IA1;
	netif->hwaddr[0] = (uint8_t)u0;
	netif->hwaddr[1] = (uint8_t)(u0 >> 8);
	netif->hwaddr[2] = (uint8_t)(u0 >> 16);
	netif->hwaddr[3] = (uint8_t)(u0 >> 24);
	netif->hwaddr[4] = (uint8_t)u1;
	netif->hwaddr[5] = (uint8_t)(u1 >> 8);
	netif->hwaddr_len = 6;
	netif->mtu = 1500;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = enet_output;

	MAC_IM = 0;
	MAC_RCTL = RCTL_RSTFIFO;
	MAC_RCTL = RCTL_RXEN | RCTL_AMUL | RCTL_BADCRC;
	MAC_TCTL = TCTL_TXEN | TCTL_PADEN | TCTL_CRC | TCTL_DUPLEX;
	MAC_RIS = 0x7fu;                /* clear anything pending */
	MAC_IM = INT_RX;
	NVIC_ISER1 = 1u << (ENET_IRQ - 32);
	return ERR_OK;
}
