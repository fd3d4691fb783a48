/* libFuzzer target: COI chat detection and group-id extraction on
   arbitrary Message-ID and References values. Input: message-id NUL
   references [NUL anything: Chat-Version present]. */

#include "fuzz-common.h"
#include "coi-detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fields[3];
	struct coi_detect_headers hdr;

	fuzz_lib_init();
	T_BEGIN {
		(void)fuzz_split(data, size, fields, 3);
		i_zero(&hdr);
		hdr.message_id = fields[0];
		hdr.references = fields[1];
		hdr.have_chat_version = fields[2] != NULL;
		(void)coi_detect_is_chat(&hdr);
		const char *gid = coi_detect_group_id(&hdr);
		if (gid != NULL) {
			/* The contract: 12..128 characters of [0-9A-Za-z_-]. */
			size_t len = strlen(gid);
			i_assert(len >= COI_DETECT_GROUP_ID_MIN_LEN &&
				 len <= COI_DETECT_GROUP_ID_MAX_LEN);
			for (size_t i = 0; i < len; i++) {
				i_assert(i_isalnum(gid[i]) || gid[i] == '-' ||
					 gid[i] == '_');
			}
		}
		(void)coi_detect_first_msgid(fields[0]);
	} T_END;
	return 0;
}
