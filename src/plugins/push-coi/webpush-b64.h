#ifndef WEBPUSH_B64_H
#define WEBPUSH_B64_H

/* Base64 helpers for Web Push keys, on Dovecot's base64.h.

   Clients send the p256dh and auth keys of a subscription in base64
   (RFC 4648 section 4) or base64url (section 5), with or without '='
   padding (WP-04). Everything we produce (VAPID k=, JWT parts) is base64url
   without padding (RFC 7515, RFC 8292). */

/* Decodes str, given in base64 or base64url, padded or not, and appends the
   octets to dest. Strict: no whitespace, no mix of the two alphabets
   ('+' or '/' together with '-' or '_'), padding only when complete (the
   padded text is a multiple of 4 characters), no impossible length (4n+1
   characters) and no non-zero bits left over in the last character
   (non-canonical encodings). An empty string decodes to nothing.
   Returns 0 on success, -1 with a static English reason in error_r on
   invalid input (dest may then hold part of the data). */
int webpush_b64_decode(const char *str, buffer_t *dest, const char **error_r);

/* Appends the base64url encoding of data, without padding, to dest. */
void webpush_b64url_append(string_t *dest, const void *data, size_t size);

/* Returns the base64url encoding of data without padding, allocated from the
   data stack. */
const char *webpush_b64url_encode(const void *data, size_t size);

#endif
