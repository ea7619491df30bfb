package io.strongroom.aws;

import java.util.regex.Pattern;

/**
 * AWS region names as both endpoints accept them in a SigV4 credential scope: two letters, one or more dash-separated
 * words, a digit ({@code us-east-1}, {@code us-gov-west-1}), at most {@link #MAX_CHARS} characters. Any such name is
 * served: the region of a request is taken from its scope, so one endpoint serves every region. Stateless.
 */
public final class Regions {
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d");

    /** The longest region name accepted. */
    public static final int MAX_CHARS = 32;

    private Regions() {}

    /** True when {@code region} is a well-formed AWS region name such as {@code us-east-1}. */
    public static boolean isValid(String region) {
        return region.length() <= MAX_CHARS && REGION.matcher(region).matches();
    }
}
