META
key;value
description;Glan-yr-afon fund: budget ballot, rule changed
round;vector-knapsack
budget;1000000
vote_type;approval
PROJECTS
project_id;cost;name;organisation;area
p1;300000;Walking group for carers;Riverside Food Bank;Riverside
p2;250000;Clwb garddio cymunedol;Cymdeithas Tai Glan-yr-afon;Glan-yr-afon
p3;200000;پارک کی صفائی اور نئے جھولے;Northbridge Mosque Trust;Northbridge
p4;150000;Łódka dla seniorów;Fundacja Żółty Dom;Moorfield
p5;120000;Men's shed workshop;Moorfield Harriers;Moorfield
p6;90000;Youth cookery club;Riverside Food Bank;Riverside
VOTES
voter_id;vote;sequence;channel
de767d796adadc442c1e50a84c1d7587;p1;1;online
79e099aadb888b59e5748124ff39b361;p3;2;online
f2bfc7027ba222ff11e9ef5fe2a9877b;p6;3;online
db0428468c6fb6a458f872cf66ddd075;p3,p6,p2;4;online
1caecab01caf45ddb116f999b0e6463a;p1,p5,p2;5;paper
068be58ec72c6d00b9564ca9e1b9cd9f;p6,p4;6;online
41903225d6db60fa496ea77078a91e5e;p5,p3,p4;7;online
f8598a29ab47f55667d8ede7740dd335;p3,p1,p5;8;online
691c0f0f71cc829324329ed1b32f1b33;p4,p3;9;online
e09d1913980976831da9dbaf0f5cbad1;p4,p5;10;paper
fe9a4556ff9a72ae2ecd94675e9a41cc;p5;11;online
5ebfa7d72b985c165b40c30473783deb;p2;12;online
ef958f0fb3d2d4d11ca53fea25cc7ba9;p1;13;online
03f848827b8426394f554a17b3b84cfd;p3;14;online
2bd0b4fc15c57e6ccfc85bf290279971;p2;15;paper
779cce1c956b2ea9bc44576c1885a8f8;p5,p3,p2;16;online
28ea9322220f1c8ab4aa0250b0a7cce1;p4,p5;17;online
8179179fade9e38e9cb7dc29fb3ce5f9;p5,p3;18;online
a4be63b2e10ab5e2a27d250d40551e8e;p4,p2;19;online
c1afd42bbbfbda81b08fd1d020fe6615;p6,p4;20;paper
bf648866471f819ba91c396bface0bab;p5,p2,p4;21;online
d88d9198d40e3778da7b0d7a4fd9fa9b;p4,p5;22;online
06ed736267c0888ade7ace070cbf06a4;p3,p4,p5;23;online
2598f0b95d752915a862abf71c281e31;p5,p6;24;online
3c0beff9dfd98cc9276ee1a95ed7f542;p4,p6,p2;25;paper
3770395baa21ebf024fef55cb1d0badd;p6,p2;26;online
7a57abb0fe4cb6623b607cac3dc7554f;p3,p4,p6;27;online
d61e241d05d39b402827273c91ced155;p6,p5;28;online
00b2025d7f4a0b5fc9dde782732fbf92;p5,p6,p4;29;online
492d63cffc69dcc360cb0080a7b6ed2d;p6,p2;30;paper
b8653407eba9836194ca93d2eae4ecdb;p5,p3;31;online
e2981e6ef8fe5f08fa01dd8461f59606;p5,p1,p3;32;online
b7ffdf3815aff7ac18cd5f6dbabb210b;p1,p2,p6;33;online
111964631ce75334ab749cc55440779b;p5;34;online
6edb441ac5fcd7c071ecca8cb8e87b38;p1,p3,p2;35;paper
78a7942df18ff613cb3526b23de71646;p1,p5,p2;36;online
c4be6e0934b4f86e55d3cb465c92907f;p2,p6;37;online
cf141c58ab1d219a1dd20da37c08d3b9;p4;38;online
11ba530d9bae968360329275ed45495e;p1,p6,p3;39;online
8f7c7335f1eef356a2522a482138a474;p2,p6;40;paper
