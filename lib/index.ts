/** bn-lab: batch normalization experiments. */
export const VERSION = "0.1.0";
