/** The KMS's HTTP face: the JSON 1.1 TrentService endpoint and its SigV4 verification. */
@NullMarked
package io.strongroom.kms.http;

import org.jspecify.annotations.NullMarked;
