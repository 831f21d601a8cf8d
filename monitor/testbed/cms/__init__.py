"""One renderer per CMS family (WebPlus, VSB, TRS, old JSP, ASP, small portals)."""
