/* Test plugin: a shared object without curator_filter_entry; the host
 * must refuse it. */
int curator_filter_entry_typo(void);

int
curator_filter_entry_typo(void)
{
    return 1;
}
