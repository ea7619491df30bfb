package io.strongroom.bench;

import java.util.Arrays;

/** Medians and formatting for side-by-side runs. */
final class Stats {
    private Stats() {}

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static String range(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return String.format("%,.0f [%,.0f..%,.0f]", median(xs), s[0], s[s.length - 1]);
    }
}
