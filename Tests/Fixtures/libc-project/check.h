/* The library's interface and the network check. */
int sort_and_check(int *values, int count);
void append(char *line, unsigned long size, const char *word);
int tcp_round_trip(void);
