/*
 * confyaml_int.h - internals shared by confyaml.c and confdefaults.c.
 */
#ifndef MOAT_CONFYAML_INT_H
#define MOAT_CONFYAML_INT_H

enum conf_ktype {
	CK_ANY, CK_STR, CK_STR_OR_NULL, CK_INT, CK_NUM, CK_BOOL, CK_LIST,
	CK_ENUM
};

struct conf_key {
	const char		*key;
	enum conf_ktype		 type;
	double			 min, max;	/* CK_INT, CK_NUM; CK_LIST: count */
	const char *const	*values;	/* CK_ENUM */
};

extern const char conf_default_yaml[];
extern const struct conf_key conf_keys[];

#endif
